// An OpenTelemetry TracerProvider whose spans become custom steps of the current invocation: a span a user
// starts with `trace.getTracer(...).startActiveSpan(...)` shows in the trace, and LLM calls inside it are its children.
import type { Attributes, Context, ContextManager, Span, SpanContext, SpanOptions, SpanStatus, Tracer as OtelTracer, TracerProvider } from "@opentelemetry/api";
import { activeContext, runInContext } from "../context/storage.js";
import type { Recording } from "../record/collector.js";
import type { Collector } from "../record/collector.js";
import { createScope } from "../model/scope.js";
import type { Step } from "../model/records.js";
import { SPAN_KEY } from "./global-api.js";

const INVALID: SpanContext = { traceId: "00000000000000000000000000000000", spanId: "0000000000000000", traceFlags: 0 };

/**
 * Where the work inside each span we started is recorded: its invocation, and a scope whose span is that span.
 * Weak, so a span is not kept alive by it.
 */
const recordedIn = new WeakMap<Span, Recording>();

/**
 * A span backed by a step. Without one (outside an invocation) it records nothing, like the API's no-op span.
 * A closure rather than a class: eleven methods of a few statements each minify smaller this way.
 * `collector` and `step` are given together or not at all.
 */
function stepSpan(collector?: Collector, step?: Step): Span {
  const setAttribute = (key: string, value: unknown) => {
    if (step && value !== undefined) (step.metadata ??= {})[key] = value;
    return span;
  };
  const span: Span = {
    spanContext: () => (step ? { traceId: collector!.traceId, spanId: step.spanId, traceFlags: 1 } : INVALID),
    setAttribute,
    setAttributes(attributes: Attributes) {
      for (const [key, value] of Object.entries(attributes)) setAttribute(key, value);
      return span;
    },
    addEvent: () => span,
    addLink: () => span,
    addLinks: () => span,
    setStatus(status: SpanStatus) {
      if (step && status.code === 2) step.error = { type: "Error", message: status.message ?? "" };
      return span;
    },
    updateName(name: string) {
      if (step) step.name = name;
      return span;
    },
    end() {
      if (step) collector!.endStep(step, step.error ? "error" : "ok");
    },
    isRecording: () => step?.status === "open",
    recordException(exception: unknown) {
      if (!step) return;
      const error = exception as { name?: string; message?: string };
      step.error = { type: error?.name ?? "Error", message: error?.message ?? String(exception) };
    },
  };
  return span;
}

export function stepTracerProvider(contextManager: () => ContextManager | undefined): TracerProvider {
  const startSpan = (name: string, options: SpanOptions = {}, context?: Context): Span => {
    const active = activeContext();
    if (!active?.collector.recordsCalls || active.collector.sealed) return stepSpan();
    const { collector } = active;
    const parent = recordedIn.get((context ?? contextManager()?.active())?.getValue(SPAN_KEY) as Span);
    const scope = parent?.collector === collector ? parent.scope : active.scope;
    const step = collector.startStep(scope, "custom", name);
    if (!step) return stepSpan();
    if (options.attributes) step.metadata = { ...options.attributes };
    const span = stepSpan(collector, step);
    recordedIn.set(span, { collector, scope: createScope(scope, { name }, step.spanId) });
    return span;
  };

  const tracer: OtelTracer = {
    startSpan,
    startActiveSpan(name: string, ...rest: unknown[]): any {
      const fn = rest.pop() as (span: Span) => unknown;
      const [options, context] = rest as [SpanOptions | undefined, Context | undefined];
      const span = startSpan(name, options, context);
      const manager = contextManager();
      const base = context ?? manager?.active();
      const run = () => (manager && base ? manager.with(base.setValue(SPAN_KEY, span), fn, undefined, span) : fn(span));
      const recording = recordedIn.get(span);
      return recording ? runInContext(recording, run) : run();
    },
  };
  return { getTracer: () => tracer };
}
