// Wall-clock milliseconds with sub-millisecond precision where the runtime gives it.
// workerd advances both clocks only on I/O (a Spectre mitigation), which is fine for latencies of network calls.

const origin = typeof performance !== "undefined" && performance.timeOrigin > 1e12 ? performance.timeOrigin : undefined;

/** Milliseconds since the Unix epoch, fractional where the runtime allows. */
export function now(): number {
  return origin === undefined ? Date.now() : origin + performance.now();
}
