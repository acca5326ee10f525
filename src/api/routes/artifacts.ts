/** Artifact routes: create, read, update, delete, filter, count. */
import {
  artifactCreateSchema,
  artifactSchema,
  artifactUpdateSchema,
  renderArtifact,
} from '../../domain/runs/artifacts.ts';
import {
  countArtifacts,
  createArtifact,
  deleteArtifact,
  filterArtifacts,
  readArtifact,
  updateArtifact,
} from '../../ops/runs/artifacts.ts';
import { artifactCountBodySchema, artifactFilterBodySchema } from '../../ops/runs/bodies.ts';
import { type RouteDef, route } from '../router.ts';
import { filterAndCountRoutes } from './filter-routes.ts';
import { readRoute } from './read-route.ts';

export const artifactRoutes: RouteDef[] = [
  route({
    method: 'POST',
    path: '/artifacts/',
    tag: 'Artifacts',
    scope: 'write',
    summary: 'Create an artifact (linked to a flow run and/or task run): 201.',
    body: artifactCreateSchema,
    status: 201,
    response: artifactSchema,
    async handler(ctx, { body }) {
      return renderArtifact(await createArtifact(ctx, body));
    },
  }),
  ...filterAndCountRoutes(
    '/artifacts',
    'Artifacts',
    {
      summary: 'Artifacts matching the filters, sorted by ArtifactSort (default ID_DESC); limit ≤ 200.',
      body: artifactFilterBodySchema,
      item: artifactSchema,
      run: async (ctx, body) => (await filterArtifacts(ctx, body)).map(renderArtifact),
    },
    { body: artifactCountBodySchema, run: countArtifacts },
  ),
  readRoute('Artifacts', '/artifacts/:id', 'Read an artifact.', artifactSchema, async (ctx, { params }) =>
    renderArtifact(await readArtifact(ctx, params.id)),
  ),
  route({
    method: 'PATCH',
    path: '/artifacts/:id',
    tag: 'Artifacts',
    scope: 'write',
    summary: 'Update data, description or metadata_ (ArtifactUpdate; progress artifacts): 204.',
    body: artifactUpdateSchema,
    bodyOptional: true,
    status: 204,
    response: null,
    handler: (ctx, { params, body }) => updateArtifact(ctx, params.id, body),
  }),
  route({
    method: 'DELETE',
    path: '/artifacts/:id',
    tag: 'Artifacts',
    scope: 'write',
    summary: 'Delete an artifact: 204.',
    status: 204,
    response: null,
    handler: (ctx, { params }) => deleteArtifact(ctx, params.id),
  }),
];
