/** Flows: get-or-create, read, filter, count. */
import { notFound } from '../../domain/errors.ts';
import { uuid7 } from '../../domain/ids.ts';
import type { FlowCreate, FlowRow } from '../../domain/runs/flows.ts';
import { nowMicros } from '../../domain/time.ts';
import type { Infer } from '../../lib/schema.ts';
import { type OpContext, storeOf } from '../context.ts';
import { filtersOf, type flowCountBodySchema, type flowFilterBodySchema, runQueryOf } from './bodies.ts';

export async function createFlow(ctx: OpContext, input: FlowCreate): Promise<{ flow: FlowRow; created: boolean }> {
  const now = nowMicros();
  return storeOf(ctx.services).flows.upsert(ctx.workspace.id, {
    id: uuid7(),
    created: now,
    updated: now,
    name: input.name,
    tags: input.tags,
    labels: input.labels,
  });
}

export async function readFlow(ctx: OpContext, id: string): Promise<FlowRow> {
  const flow = await storeOf(ctx.services).flows.get(ctx.workspace.id, id);
  if (!flow) throw notFound('Flow');
  return flow;
}

export function filterFlows(ctx: OpContext, body: Infer<typeof flowFilterBodySchema>): Promise<FlowRow[]> {
  return storeOf(ctx.services).flows.filter(ctx.workspace.id, runQueryOf(body));
}

export function countFlows(ctx: OpContext, body: Infer<typeof flowCountBodySchema>): Promise<number> {
  return storeOf(ctx.services).flows.count(ctx.workspace.id, filtersOf(body));
}
