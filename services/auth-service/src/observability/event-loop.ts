import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from '@chat/platform';

/**
 * Logs the event loop's delay every `intervalMs` (`msg: "event loop"`, with
 * `maxMs`, `p99Ms`, `meanMs` over the interval), so that a login storm can be
 * checked for blocking work: scrypt runs on the thread pool and must never
 * stall the loop. Returns a function that stops it.
 */
export function logEventLoopDelay(logger: Logger, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => undefined;
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const timer = setInterval(() => {
    logger.info({ maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), meanMs: ms(histogram.mean), intervalMs }, 'event loop');
    histogram.reset();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    histogram.disable();
  };
}
