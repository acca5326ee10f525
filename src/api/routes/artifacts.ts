/** Artifact routes: create, read, update, delete, filter, count. */
import { artifactCreateSchema, artifactUpdateSchema, renderArtifact } from '../../domain/runs/artifacts.ts';
import { parseOrThrow } from '../../domain/schema.ts';
import {
  countArtifacts,
  createArtifact,
  deleteArtifact,
  filterArtifacts,
  readArtifact,
  updateArtifact,
} from '../../ops/runs/artifacts.ts';
import { artifactCountBody, artifactFilterBody } from '../../ops/runs/bodies.ts';
import { type RouteDef, uuidParam } from '../router.ts';

export const artifactRoutes: RouteDef[] = [
  {
    method: 'POST',
    path: '/artifacts/',
    tag: 'Artifacts',
    summary: 'Create an artifact (linked to a flow run and/or task run): 201.',
    body: artifactCreateSchema,
    status: 201,
    async handler(ctx, req) {
      return renderArtifact(await createArtifact(ctx, parseOrThrow(artifactCreateSchema, req.body, ['body'])));
    },
  },
  {
    method: 'POST',
    path: '/artifacts/filter',
    tag: 'Artifacts',
    summary: 'Artifacts matching the filters, sorted by ArtifactSort (default ID_DESC); limit ≤ 200.',
    body: artifactFilterBody,
    async handler(ctx, req) {
      return (await filterArtifacts(ctx, parseOrThrow(artifactFilterBody, req.body ?? {}, ['body']))).map(
        renderArtifact,
      );
    },
  },
  {
    method: 'POST',
    path: '/artifacts/count',
    tag: 'Artifacts',
    summary: 'Number of artifacts matching the filters.',
    body: artifactCountBody,
    async handler(ctx, req) {
      return countArtifacts(ctx, parseOrThrow(artifactCountBody, req.body ?? {}, ['body']));
    },
  },
  {
    method: 'GET',
    path: '/artifacts/:id',
    tag: 'Artifacts',
    summary: 'Read an artifact.',
    async handler(ctx, req) {
      return renderArtifact(await readArtifact(ctx, uuidParam(req, 'id')));
    },
  },
  {
    method: 'PATCH',
    path: '/artifacts/:id',
    tag: 'Artifacts',
    summary: 'Update data, description or metadata_ (ArtifactUpdate; progress artifacts): 204.',
    body: artifactUpdateSchema,
    async handler(ctx, req, reply) {
      const id = uuidParam(req, 'id');
      await updateArtifact(ctx, id, parseOrThrow(artifactUpdateSchema, req.body ?? {}, ['body']));
      return reply.code(204).send();
    },
  },
  {
    method: 'DELETE',
    path: '/artifacts/:id',
    tag: 'Artifacts',
    summary: 'Delete an artifact: 204.',
    async handler(ctx, req, reply) {
      await deleteArtifact(ctx, uuidParam(req, 'id'));
      return reply.code(204).send();
    },
  },
];
