// One handled request, scheduled event or queue batch: the root handle plus flush().
import type { ExportResult } from "../model/exporter.js";
import type { Collector } from "../record/collector.js";
import { flushCollector } from "../pipeline/flush.js";
import { TraceHandle } from "./handle.js";
import type { Exporter } from "../model/exporter.js";

/**
 * Everything one request records. `withTracer` and `instrument` create it, run your handler with it,
 * and flush it after the response. Its methods are those of {@link TraceHandle}, plus `flush()`.
 *
 * @example
 * const invocation = tracer.startInvocation();
 * const openai = new OpenAI({ fetch: invocation.fetch });
 * ctx.waitUntil(invocation.flush());
 */
export class Invocation extends TraceHandle {
  /** The W3C trace id every span of this invocation carries. */
  readonly traceId: string;
  readonly #exporters: readonly Exporter[];
  #flushed: Promise<ExportResult> | undefined;

  /** @internal Use `tracer.startInvocation()`. */
  constructor(collector: Collector, exporters: readonly Exporter[]) {
    super(collector);
    this.#exporters = exporters;
    this.traceId = collector.traceId;
    invocations.set(collector, this);
  }

  /**
   * Waits for open steps (streams still being read) up to `flushTimeoutMs`, then exports everything in one
   * request per destination. Call it once, after the response; later calls return the same promise.
   * Never rejects. Works detached: `const { flush } = invocation`.
   */
  readonly flush = (): Promise<ExportResult> => (this.#flushed ??= flushCollector(this.collector, this.#exporters));
}

// Which Invocation wraps a collector, for `currentInvocation()`. Weak: it goes with its request.
const invocations = new WeakMap<Collector, Invocation>();

/** The Invocation of `collector`, if one wraps it. */
export function invocationOf(collector: Collector): Invocation | undefined {
  return invocations.get(collector);
}
