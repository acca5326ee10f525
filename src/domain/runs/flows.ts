/** Flows: `FlowCreate` (get-or-create by name) and the `Flow` response. */
import { array, type Infer, named, object, optional, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { datetime, formatMicros, type Micros } from '../time.ts';
import { type Labels, labelsSchema, nameSchema, tagsSchema } from './common.ts';

export const flowCreateSchema = object({
  name: nameSchema(),
  tags: optional(tagsSchema(), () => [] as string[]),
  labels: optional(labelsSchema(), () => ({}) as Labels),
});
export type FlowCreate = Infer<typeof flowCreateSchema>;

export interface FlowRow {
  id: string;
  created: Micros;
  updated: Micros;
  name: string;
  tags: string[];
  labels: Labels;
}

/** `Flow`, as `renderFlow` writes it. */
export const flowSchema = named(
  'Flow',
  object({
    id: uuid(),
    created: datetime(),
    updated: datetime(),
    name: str(),
    tags: array(str()),
    labels: labelsSchema(),
  }),
);

export function renderFlow(f: FlowRow): Record<string, unknown> {
  return {
    id: f.id,
    created: formatMicros(f.created),
    updated: formatMicros(f.updated),
    name: f.name,
    tags: f.tags,
    labels: f.labels,
  };
}
