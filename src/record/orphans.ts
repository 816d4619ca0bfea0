// Records made where no open invocation can be found: a module-level log() with no AsyncLocalStorage or outside
// withTracer, and logs, steps or LLM calls that come after their invocation's flush began. They are never guessed
// into another request: they are kept here and exported, unlinked, by the next flush.
import { createCollector, type Collector } from "./collector.js";
import { now } from "../util/clock.js";
import { resolveConfig, type ResolvedConfig } from "../model/config.js";

let orphans: Collector | undefined;

/** The isolate's collector of orphans, created on first use (with `config`, the late invocation's own, when given). */
export function orphanCollector(config?: ResolvedConfig): Collector {
  return (orphans ??= createCollector(config ?? resolveConfig({}), { name: "edge-tracer orphan logs" }, false));
}

/**
 * Hands the orphans to a flush and starts a fresh collector; undefined when there are none, or while one of
 * their calls is still running (a later flush takes it whole).
 */
export function takeOrphans(): Collector | undefined {
  const taken = orphans;
  if (!taken?.logs.length && !taken?.steps.length) return undefined;
  if (taken.pending.size) {
    // Within one flush budget of the first orphan, wait for its calls; past it, a call that never ends is unfinished.
    if (now() - taken.root.startTime < taken.config.flushTimeoutMs) return undefined;
    taken.closeUnfinished();
  }
  orphans = undefined;
  return taken;
}
