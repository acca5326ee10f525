/** `GET /admin/retention`: the retention in force for the workspace, its last sweep and the next. */
import { formatMicros, type Micros } from '../../domain/time.ts';
import { array, int, named, nullValue, object, oneOf, orNull, str } from '../../lib/schema.ts';
import { retentionStatus } from '../../ops/retention/status.ts';
import { type RouteDef, route } from '../router.ts';

const seconds = int({ min: 0, max: Number.MAX_SAFE_INTEGER });
const maybeSeconds = orNull(seconds);
const time = str();

export const retentionStatusSchema = named(
  'RetentionStatus',
  object({
    settings: object({
      logs: seconds,
      events: seconds,
      runs: seconds,
      events_overrides: array(object({ prefix: str(), seconds })),
      workspace: object({ logs: maybeSeconds, events: maybeSeconds, runs: maybeSeconds }),
    }),
    last_sweep: oneOf(
      nullValue(),
      object({
        started: time,
        finished: time,
        removed: object({ logs: seconds, events: seconds, runs: seconds, spans: seconds }),
      }),
    ),
    next_sweep: orNull(time),
  }),
);

const iso = (t: Micros | undefined) => (t === undefined ? null : formatMicros(t));

export const retentionRoutes: RouteDef[] = [
  route({
    method: 'GET',
    path: '/admin/retention',
    tag: 'Root',
    scope: 'admin',
    summary:
      "The workspace's retention (seconds, 0 = forever; its own settings win over the server's flags), its last sweep and when this instance sweeps next.",
    response: retentionStatusSchema,
    async handler(ctx) {
      const s = await retentionStatus(ctx);
      return {
        settings: {
          logs: s.policy.logs,
          events: s.policy.events,
          runs: s.policy.runs,
          events_overrides: s.policy.eventOverrides.map((o) => ({ prefix: o.prefix, seconds: o.seconds })),
          workspace: s.workspace,
        },
        last_sweep: s.lastSweep
          ? { started: iso(s.lastSweep.started), finished: iso(s.lastSweep.finished), removed: s.lastSweep.removed }
          : null,
        next_sweep: iso(s.nextSweep),
      };
    },
  }),
];
