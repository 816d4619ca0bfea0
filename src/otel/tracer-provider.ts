// An OpenTelemetry TracerProvider whose spans become custom steps of the current invocation: a span a user
// starts with `trace.getTracer(...).startActiveSpan(...)` shows in the trace, and LLM calls inside it are its children.
import type { Attributes, Context, ContextManager, Span, SpanContext, SpanOptions, SpanStatus, Tracer as OtelTracer, TracerProvider } from "@opentelemetry/api";
import { activeContext, runInContext } from "../context/storage.js";
import type { Collector } from "../core/collector.js";
import { createScope, type Scope } from "../core/scope.js";
import type { Step } from "../core/step.js";
import { SPAN_KEY } from "./global-api.js";

const INVALID: SpanContext = { traceId: "00000000000000000000000000000000", spanId: "0000000000000000", traceFlags: 0 };

/**
 * A span backed by a step. Outside an invocation (`new StepSpan()`) it records nothing, like the API's no-op span.
 * The three are set together or not at all, so checking `step` is enough.
 */
class StepSpan implements Span {
  constructor(
    readonly collector?: Collector,
    readonly step?: Step,
    /** Where work inside the span is recorded: a scope whose span is this one. */
    readonly scope?: Scope,
  ) {}
  spanContext(): SpanContext {
    return this.step ? { traceId: this.collector!.traceId, spanId: this.step.spanId, traceFlags: 1 } : INVALID;
  }
  setAttribute(key: string, value: unknown): this {
    if (this.step && value !== undefined) (this.step.metadata ??= {})[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    for (const [key, value] of Object.entries(attributes)) this.setAttribute(key, value);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    if (this.step && status.code === 2) this.step.error = { type: "Error", message: status.message ?? "" };
    return this;
  }
  updateName(name: string): this {
    if (this.step) this.step.name = name;
    return this;
  }
  end(): void {
    if (this.step) this.collector!.endStep(this.step, this.step.error ? "error" : "ok");
  }
  isRecording(): boolean {
    return this.step?.status === "open";
  }
  recordException(exception: unknown): void {
    if (!this.step) return;
    const error = exception as { name?: string; message?: string };
    this.step.error = { type: error?.name ?? "Error", message: error?.message ?? String(exception) };
  }
}

export function stepTracerProvider(contextManager: () => ContextManager | undefined): TracerProvider {
  const startSpan = (name: string, options: SpanOptions = {}, context?: Context): StepSpan => {
    const active = activeContext();
    if (!active?.collector.recordsCalls || active.collector.sealed) return new StepSpan();
    const { collector } = active;
    const parent = (context ?? contextManager()?.active())?.getValue(SPAN_KEY);
    const scope = parent instanceof StepSpan && parent.collector === collector && parent.scope ? parent.scope : active.scope;
    const step = collector.startStep(scope, "custom", name);
    if (!step) return new StepSpan();
    if (options.attributes) step.metadata = { ...options.attributes };
    return new StepSpan(collector, step, createScope(scope, { name }, step.spanId));
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
      return span.step ? runInContext({ collector: span.collector!, scope: span.scope! }, run) : run();
    },
  };
  return { getTracer: () => tracer };
}
