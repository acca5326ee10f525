/**
 * Routes the Prefect client calls around runs that have nothing to store: default result storage
 * and tag concurrency leases (Sightline has no tag concurrency limits).
 */
import { uuid, uuid4 } from '../../domain/ids.ts';
import { NAME_PATTERN } from '../../domain/runs/common.ts';
import { array, int, literal, nullValue, num, object, optional, str } from '../../lib/schema.ts';
import { type RouteDef, route } from '../router.ts';

const incrementWithLeaseBodySchema = object(
  {
    slots: int({ min: 1 }),
    names: array(str({ pattern: NAME_PATTERN, patternHint: "String should match pattern '^[^/%&><]+$'" })),
    mode: optional(literal(['concurrency', 'rate_limit'] as const), () => 'concurrency' as const),
    lease_duration: optional(num({ min: 60, max: 86_400 }), () => 300),
    holder: optional(object({ type: literal(['flow_run', 'task_run', 'deployment'] as const), id: uuid() })),
  },
  { extra: 'ignore' },
);

export const runSupportRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/admin/storage',
    tag: 'Admin',
    scope: 'read',
    summary: 'Default result storage: none (clients store results locally).',
    response: object({ default_result_storage_block_id: nullValue() }),
    handler: () => ({ default_result_storage_block_id: null }),
  }),
  route({
    method: 'POST',
    path: '/v2/concurrency_limits/increment-with-lease',
    tag: 'Concurrency Limits V2',
    scope: 'write',
    summary:
      'Acquire tag concurrency slots. Sightline has no concurrency limits: always granted, with an empty "limits" list, ' +
      'which tells the client there is no lease to renew or release.',
    body: incrementWithLeaseBodySchema,
    response: object({ lease_id: uuid(), limits: array(object({})) }),
    handler() {
      return { lease_id: uuid4(), limits: [] };
    },
  }),
];
