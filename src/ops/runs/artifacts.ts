/** Artifacts: create, read, update, delete, filter, count. */
import { notFound } from '../../domain/errors.ts';
import { uuid7 } from '../../domain/ids.ts';
import type { ArtifactCreate, ArtifactRow, ArtifactUpdate } from '../../domain/runs/artifacts.ts';
import { nowMicros } from '../../domain/time.ts';
import type { Infer } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { type artifactCountBodySchema, type artifactFilterBodySchema, filtersOf, runQueryOf } from './bodies.ts';

export function createArtifact(ctx: OpContext, input: ArtifactCreate): Promise<ArtifactRow> {
  const now = nowMicros();
  return storeOf(ctx.services).artifacts.create(ctx.workspace.id, {
    id: uuid7(),
    created: now,
    updated: now,
    key: input.key ?? null,
    type: input.type ?? null,
    description: input.description ?? null,
    data: input.data ?? null,
    metadata_: input.metadata_ ?? null,
    flow_run_id: input.flow_run_id ?? null,
    task_run_id: input.task_run_id ?? null,
  });
}

export async function readArtifact(ctx: OpContext, id: string): Promise<ArtifactRow> {
  const a = await storeOf(ctx.services).artifacts.get(ctx.workspace.id, id);
  if (!a) throw notFound('Artifact');
  return a;
}

export async function updateArtifact(ctx: OpContext, id: string, input: ArtifactUpdate): Promise<void> {
  if (!(await storeOf(ctx.services).artifacts.update(ctx.workspace.id, id, input, nowMicros())))
    throw notFound('Artifact');
}

export async function deleteArtifact(ctx: OpContext, id: string): Promise<void> {
  if (!(await storeOf(ctx.services).artifacts.delete(ctx.workspace.id, id))) throw notFound('Artifact');
}

export function filterArtifacts(ctx: OpContext, body: Infer<typeof artifactFilterBodySchema>): Promise<ArtifactRow[]> {
  return storeOf(ctx.services).artifacts.filter(ctx.workspace.id, runQueryOf(body));
}

export function countArtifacts(ctx: OpContext, body: Infer<typeof artifactCountBodySchema>): Promise<number> {
  return storeOf(ctx.services).artifacts.count(ctx.workspace.id, filtersOf(body));
}
