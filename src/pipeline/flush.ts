// Flush: wait for open steps (streams) within the budget, seal the batch, export it once per destination.
import { takeOrphans } from "../record/orphans.js";
import { emptyResult, mergeResults, type ExportBatch, type Exporter, type ExportResult } from "../model/exporter.js";
import type { ResolvedConfig } from "../model/config.js";
import { buildBatch } from "./batch.js";
import { clipBatch } from "./clip.js";
import { matchesKeep } from "./sampling.js";
import { now } from "../util/clock.js";
import type { Collector } from "../record/collector.js";
import { describeError, guard, warnOnce } from "../util/warn.js";

/** Never rejects: the tracer's failures are reported, not thrown. */
export async function flushCollector(collector: Collector, exporters: readonly Exporter[]): Promise<ExportResult> {
  const { config } = collector;
  const deadline = now() + config.flushTimeoutMs;
  // Tracing off (a config mistake inside withTracer): nothing to send, and the isolate's orphans wait for a real flush.
  if (!exporters.length) return emptyResult();
  try {
    // Streams may run almost to the deadline, but export always keeps part of the budget.
    const exportReserve = Math.min(5_000, config.flushTimeoutMs / 5);
    await settleWithin(collector.pending, deadline - exportReserve);
    collector.closeUnfinished();
    collector.sealed = true;
    // One way: sampling, then records → privacy → neutral batch (batch.ts), then one clipping pass, then exporters.
    const kept = collector.sampled || matchesKeep(collector, config.keep);
    const batch = kept ? buildBatch(collector, config) : emptyBatch(config);
    const orphans = takeOrphans();
    if (orphans) appendBatch(batch, buildBatch(orphans, orphans.config));
    clipBatch(batch, config.maxFieldBytes);
    if (!batch.logs.length && !batch.looseSteps.length) return emptyResult();

    const signal = AbortSignal.timeout(Math.max(1, Math.ceil(deadline - now())));
    const fetchFn = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const count = batch.logs.length + batch.logs.reduce((n, log) => n + log.steps.length, 0) + batch.looseSteps.length;
    const results = await Promise.all(
      exporters.map((exporter) =>
        // Async, so an exporter that throws before returning its promise fails alone, as a rejection would.
        (async () => exporter.export(batch, { signal, deadline, fetch: fetchFn, semconv: config.semconv }))().catch(
          (error): ExportResult => ({
            ...emptyResult(),
            dropped: count,
            // An exporter that throws says nothing of the cause: not retried.
            errors: [{ destination: exporter.name, reason: describeError(error), count, retryable: false }],
          }),
        ),
      ),
    );
    const result = mergeResults(results);
    for (const error of result.errors) guard("onExportError", () => config.onExportError?.(error), undefined);
    if (result.errors.length) {
      const detail = result.errors.map((e) => `${e.destination}: ${e.count} ${e.stored ? "stored but refused" : "not delivered"} (${e.reason})`).join("; ");
      console.warn(`[edge-tracer] export failed for part of trace ${collector.traceId}: ${detail}`);
    }
    return result;
  } catch (error) {
    warnOnce("flush", `flush failed, this invocation's trace is lost: ${describeError(error)}`);
    return { ...emptyResult(), errors: [{ destination: "edge-tracer", reason: describeError(error), count: 0, retryable: false }] };
  }
}

/** Resolves when every pending promise settled (new ones included) or the deadline passed. */
async function settleWithin(pending: Set<Promise<unknown>>, deadline: number): Promise<void> {
  while (pending.size) {
    const left = deadline - now();
    if (left <= 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      Promise.all(pending).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(resolve, Math.ceil(left), true))),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    if (timedOut) return;
  }
}

function emptyBatch(config: ResolvedConfig): ExportBatch {
  return { resource: { serviceName: config.serviceName, environment: config.environment, versionId: config.versionId }, scopes: [], logs: [], looseSteps: [] };
}

function appendBatch(into: ExportBatch, from: ExportBatch): void {
  into.scopes.push(...from.scopes);
  into.logs.push(...from.logs);
  into.looseSteps.push(...from.looseSteps);
}
