// W3C Trace Context (https://www.w3.org/TR/trace-context/): reading and writing `traceparent`.
// Our own few lines rather than @opentelemetry/core's propagator, which would add ~8 KB gzip to every
// Worker bundle; a test checks both agree.

/** The span an invocation continues: from an incoming `traceparent`, or another SDK's active span. */
export interface RemoteParent {
  traceId: string;
  spanId: string;
  /** Bit 0: sampled. */
  traceFlags: number;
  traceState?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZEROS = /^0+$/;

/** Parses a `traceparent` header; undefined when absent or invalid (then a new trace starts). */
export function parseTraceparent(header: string | null | undefined, traceState?: string | null): RemoteParent | undefined {
  const match = TRACEPARENT.exec(header?.trim() ?? "");
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is invalid; version 00 allows nothing after the flags; later versions may add fields.
  if (version === "ff" || (version === "00" && rest) || ZEROS.test(traceId) || ZEROS.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16), traceState: traceState?.trim() || undefined };
}

/** The `traceparent` value for a child of `traceId`/`spanId`. */
export function formatTraceparent(traceId: string, spanId: string, sampled = true): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}

/** A valid span context of 32 and 16 hex digits, not all zeros. */
export function isValidSpanContext<T extends { traceId?: unknown; spanId?: unknown }>(context: T | undefined): context is T & { traceId: string; spanId: string } {
  return (
    typeof context?.traceId === "string" && /^[0-9a-f]{32}$/.test(context.traceId) && !ZEROS.test(context.traceId) &&
    typeof context.spanId === "string" && /^[0-9a-f]{16}$/.test(context.spanId) && !ZEROS.test(context.spanId)
  );
}
