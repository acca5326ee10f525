/** Small pieces every page uses: loading, error and empty states, the state badge. */
import type { ComponentChildren } from 'preact';
import { stateClass } from '../format.ts';

export function Loading({ what }: { what: string }) {
  return (
    <p class="status" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="error" role="alert">
      {message}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="status empty">{children}</p>;
}

export function StateBadge({ type, name }: { type: string | null; name?: string | null }) {
  return <span class={stateClass(type)}>{name ?? type ?? 'No state'}</span>;
}
