import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from '@chat/platform';

/**
 * Logs the event loop's delay every `intervalMs` (`msg: "event loop"`, with
 * `maxMs`, `p99Ms`, `meanMs` over the interval: how late a 10 ms timer ran), so that a login storm can be
 * checked for blocking work: scrypt runs on the thread pool and must never
 * stall the loop. Returns a function that stops it.
 */
export function logEventLoopDelay(logger: Logger, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => undefined;
  const resolution = 10;
  const histogram = monitorEventLoopDelay({ resolution });
  histogram.enable();
  // The histogram records the whole time between two samples, sampling
  // interval included; the delay is what is past the interval.
  const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - resolution) * 100) / 100);
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
