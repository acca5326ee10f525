/** Root routes: health, readiness, versions, CSRF probe, admin storage. */

import { array, bool, object, str } from '../../lib/schema.ts';
import { readinessProblems } from '../../ops/health/database.ts';
import { type RouteDef, route } from '../router.ts';

/** Prefect's API version (not the package version), also the version of this API surface. */
export const API_VERSION = '0.8.4';

const readiness = object({ message: str() });
/** A 503 names each problem (database unreachable, migrations pending). */
const notReady = object({ message: str(), problems: array(str()) });

export const rootRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/health',
    tag: 'Root',
    scope: 'read',
    summary: 'Liveness: always true.',
    response: bool(),
    handler: () => true,
  }),
  route({
    method: 'GET',
    path: '/ready',
    tag: 'Root',
    scope: 'read',
    summary:
      'Readiness: 200 when the database answers with the schema this server needs, else 503 naming what is not ready.',
    response: { 200: readiness, 503: notReady },
    async handler(ctx, _input, _req, reply) {
      const problems = await readinessProblems(ctx.services);
      if (!problems.length) return { message: 'OK' };
      return reply.code(503).send({ message: `Not ready: ${problems.join('; ')}`, problems });
    },
  }),
  route({
    method: 'GET',
    path: '/hello',
    tag: 'Root',
    scope: 'read',
    summary: 'Says hello.',
    response: str(),
    handler: () => '👋',
  }),
  route({
    method: 'GET',
    path: '/version',
    tag: 'Root',
    scope: 'read',
    summary: 'The Prefect API version served.',
    response: str(),
    handler: () => API_VERSION,
  }),
  route({
    method: 'GET',
    path: '/admin/version',
    tag: 'Root',
    scope: 'read',
    summary: 'The Prefect package version reported to clients (--prefect-version).',
    response: str(),
    handler: (ctx) => ctx.services.config['prefect-version'],
  }),
  route({
    method: 'GET',
    path: '/csrf-token',
    tag: 'Root',
    scope: 'read',
    summary: 'CSRF protection is not enabled: answers the 422 that makes Prefect clients skip CSRF tokens.',
    // Never a success: the 422 is every answer (documented with the errors).
    response: {},
    errors: [422],
    handler: (_ctx, _input, _req, reply) => reply.code(422).send({ detail: 'CSRF protection is disabled.' }),
  }),
];
