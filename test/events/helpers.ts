/** Builders shared by the event suites. */
import { uuid7 } from '../../src/domain/ids.ts';

export const FLOW_RUN = '0b7c5f4e-0c1d-4b59-9a59-3c2f1b6a0001';

export interface EventOpts {
  id?: string;
  event?: string;
  occurred?: string;
  resource?: Record<string, string>;
  related?: Record<string, string>[];
  payload?: Record<string, unknown>;
  follows?: string | null;
}

let counter = 0;

/** A Prefect-shaped event; `occurred` defaults to now plus a growing offset (ms) for stable order. */
export function ev(opts: EventOpts = {}): Record<string, unknown> {
  counter++;
  return {
    id: opts.id ?? uuid7(),
    event: opts.event ?? 'prefect.flow-run.Completed',
    occurred: opts.occurred ?? new Date(Date.now() - 60_000 + counter).toISOString(),
    resource: opts.resource ?? {
      'prefect.resource.id': `prefect.flow-run.${FLOW_RUN}`,
      'prefect.resource.name': 'happy-otter',
    },
    related: opts.related ?? [],
    payload: opts.payload ?? {},
    follows: opts.follows ?? null,
  };
}

export function related(id: string, role: string, extra: Record<string, string> = {}): Record<string, string> {
  return { 'prefect.resource.id': id, 'prefect.resource.role': role, ...extra };
}
