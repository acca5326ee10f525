/**
 * Events: Prefect's `Event`, `ReceivedEvent`, `EventFilter` and `EventPage`, with Sightline's
 * stored row — one module per concern in `events/`, re-exported here for existing imports.
 */
export * from './events/counts.ts';
export * from './events/event.ts';
export * from './events/filters.ts';
export * from './events/render.ts';
