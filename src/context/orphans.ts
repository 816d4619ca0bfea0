// Logs made where no invocation can be found (no AsyncLocalStorage, outside withTracer, or after a flush).
// They are not guessed into a request: they are kept here and exported, unlinked, by the next flush.
import { createCollector, type Collector } from "../core/collector.js";
import { resolveConfig } from "../core/config.js";

let orphans: Collector | undefined;

/** The isolate's collector of orphan logs, created on first use. */
export function orphanCollector(): Collector {
  return (orphans ??= createCollector(resolveConfig({}), { name: "edge-tracer orphan logs" }, false));
}

/** Hands the orphan logs to a flush and starts a fresh collector; undefined when there are none. */
export function takeOrphans(): Collector | undefined {
  const taken = orphans;
  if (!taken?.logs.length && !taken?.steps.length) return undefined;
  orphans = undefined;
  return taken;
}
