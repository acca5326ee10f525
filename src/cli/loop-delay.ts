/**
 * At `--log-level debug`, `serve` logs how late its event loop ran every 10 s (p50, p99, max;
 * then the histogram starts over). Long benchmarks (the soak) read it from the log: it is the
 * server's own view of its responsiveness, and it needs no endpoint.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export function logLoopDelay(log: { debug(obj: object, msg: string): void }, intervalMs = 10_000): () => void {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const timer = setInterval(() => {
    log.debug({ p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) }, 'event loop delay');
    h.reset();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    h.disable();
  };
}
