// Talks to @opentelemetry/api through its documented cross-copy global (`Symbol.for("opentelemetry.js.api.1")`)
// rather than importing it: the API alone would add ~7 KB gzip to every Worker bundle.
import { isValidSpanContext, type RemoteParent } from "../util/traceparent.js";

interface OtelContext {
  getValue(key: symbol): unknown;
}
interface OtelGlobal {
  version?: string;
  context?: { active?(): OtelContext };
  trace?: unknown;
}

/** The key @opentelemetry/api 1.x registers its globals under. */
export const OTEL_GLOBAL = Symbol.for("opentelemetry.js.api.1");
/** The context key of the active span (`createContextKey` is `Symbol.for`). */
export const SPAN_KEY = Symbol.for("OpenTelemetry Context Key SPAN");

export function otelGlobal(): OtelGlobal | undefined {
  return (globalThis as Record<symbol, OtelGlobal | undefined>)[OTEL_GLOBAL];
}

/** The span another OpenTelemetry SDK has active right now, if any: our root becomes its child. */
export function foreignActiveSpan(): RemoteParent | undefined {
  const span = otelGlobal()?.context?.active?.()?.getValue(SPAN_KEY) as { spanContext?(): Record<string, unknown> } | undefined;
  const context = span?.spanContext?.() as { traceId?: unknown; spanId?: unknown; traceFlags?: number; traceState?: { serialize?(): string } } | undefined;
  if (!isValidSpanContext(context)) return undefined;
  return { traceId: context.traceId, spanId: context.spanId, traceFlags: Number(context.traceFlags ?? 1), traceState: context.traceState?.serialize?.() || undefined };
}
