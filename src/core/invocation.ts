// One handled request, scheduled event or queue batch: the root handle plus flush().
import type { ExportResult } from "../exporters/exporter.js";
import type { Collector } from "./collector.js";
import { flushCollector } from "./flush.js";
import { TraceHandle } from "./handle.js";
import type { Tracer } from "./tracer.js";

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
  readonly #tracer: Tracer;
  #flushed: Promise<ExportResult> | undefined;

  /** @internal Use `tracer.startInvocation()`. */
  constructor(tracer: Tracer, collector: Collector) {
    super(collector);
    this.#tracer = tracer;
    this.traceId = collector.traceId;
    collector.invocation = this;
  }

  /**
   * Waits for open steps (streams still being read) up to `flushTimeoutMs`, then exports everything in one
   * request per destination. Call it once, after the response; later calls return the same promise.
   * Never rejects. Works detached: `const { flush } = invocation`.
   */
  readonly flush = (): Promise<ExportResult> => (this.#flushed ??= flushCollector(this.collector, this.#tracer));
}
