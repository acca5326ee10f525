/** Artifacts: `ArtifactCreate`, `ArtifactUpdate`, the stored row and the `Artifact` response. */
import { any, type Infer, keyText, named, object, optional, orNull, record, str } from '../../lib/schema.ts';
import { uuid } from '../ids.ts';
import { datetime, formatMicros, type Micros } from '../time.ts';

/** Prefect's artifact keys: lowercase letters, digits and dashes (`validate_artifact_key`). */
export const ARTIFACT_KEY = /^[a-z0-9-]+$/;

export const artifactCreateSchema = object({
  key: optional(
    keyText({
      max: 5000,
      pattern: ARTIFACT_KEY,
      patternHint: 'Artifact key must only contain lowercase letters, numbers, and dashes.',
    }),
  ),
  type: optional(str({ max: 5000 })),
  description: optional(str({ max: 5000 })),
  data: optional(any()),
  metadata_: optional(record(str())),
  flow_run_id: optional(uuid()),
  task_run_id: optional(uuid()),
});
export type ArtifactCreate = Infer<typeof artifactCreateSchema>;

export const artifactUpdateSchema = object({
  data: optional(any()),
  description: optional(str({ max: 5000 })),
  metadata_: optional(record(str())),
});
export type ArtifactUpdate = Infer<typeof artifactUpdateSchema>;

export interface ArtifactRow {
  id: string;
  created: Micros;
  updated: Micros;
  key: string | null;
  type: string | null;
  description: string | null;
  data: unknown;
  metadata_: Record<string, string> | null;
  flow_run_id: string | null;
  task_run_id: string | null;
}

/** `Artifact`, as `renderArtifact` writes it. */
export const artifactSchema = named(
  'Artifact',
  object({
    id: uuid(),
    created: datetime(),
    updated: datetime(),
    key: orNull(str()),
    type: orNull(str()),
    description: orNull(str()),
    data: any(),
    metadata_: orNull(record(str())),
    flow_run_id: orNull(uuid()),
    task_run_id: orNull(uuid()),
  }),
);

export function renderArtifact(a: ArtifactRow): Record<string, unknown> {
  return {
    id: a.id,
    created: formatMicros(a.created),
    updated: formatMicros(a.updated),
    key: a.key,
    type: a.type,
    description: a.description,
    data: a.data,
    metadata_: a.metadata_,
    flow_run_id: a.flow_run_id,
    task_run_id: a.task_run_id,
  };
}
