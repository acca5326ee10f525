/** Artifact routes: create, read, update, delete, filter, count. */
import { artifactCreateSchema, artifactUpdateSchema, renderArtifact } from '../../domain/runs/artifacts.ts';
import {
  countArtifacts,
  createArtifact,
  deleteArtifact,
  filterArtifacts,
  readArtifact,
  updateArtifact,
} from '../../ops/runs/artifacts.ts';
import { artifactCountBodySchema, artifactFilterBodySchema } from '../../ops/runs/bodies.ts';
import type { RouteDef } from '../router.ts';

export const artifactRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/artifacts/',
    tag: 'Artifacts',
    scope: 'write',
    summary: 'Create an artifact (linked to a flow run and/or task run): 201.',
    body: artifactCreateSchema,
    status: 201,
    async handler(ctx, { body }) {
      return renderArtifact(await createArtifact(ctx, body));
    },
  },
  {
    method: 'POST',
    path: '/artifacts/filter',
    tag: 'Artifacts',
    scope: 'read',
    summary: 'Artifacts matching the filters, sorted by ArtifactSort (default ID_DESC); limit ≤ 200.',
    body: artifactFilterBodySchema,
    bodyOptional: true,
    async handler(ctx, { body }) {
      return (await filterArtifacts(ctx, body)).map(renderArtifact);
    },
  },
  {
    method: 'POST',
    path: '/artifacts/count',
    tag: 'Artifacts',
    scope: 'read',
    summary: 'Number of artifacts matching the filters.',
    body: artifactCountBodySchema,
    bodyOptional: true,
    async handler(ctx, { body }) {
      return countArtifacts(ctx, body);
    },
  },
  {
    method: 'GET',
    path: '/artifacts/:id',
    tag: 'Artifacts',
    scope: 'read',
    summary: 'Read an artifact.',
    async handler(ctx, { params }) {
      return renderArtifact(await readArtifact(ctx, params.id));
    },
  },
  {
    method: 'PATCH',
    path: '/artifacts/:id',
    tag: 'Artifacts',
    scope: 'write',
    summary: 'Update data, description or metadata_ (ArtifactUpdate; progress artifacts): 204.',
    body: artifactUpdateSchema,
    bodyOptional: true,
    async handler(ctx, { params, body }, _req, reply) {
      await updateArtifact(ctx, params.id, body);
      return reply.code(204).send();
    },
  },
  {
    method: 'DELETE',
    path: '/artifacts/:id',
    tag: 'Artifacts',
    scope: 'write',
    summary: 'Delete an artifact: 204.',
    async handler(ctx, { params }, _req, reply) {
      await deleteArtifact(ctx, params.id);
      return reply.code(204).send();
    },
  },
];
