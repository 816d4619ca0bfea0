// Module-level log/tracer/trace/tracedFetch: they find the current invocation through AsyncLocalStorage.
// Without it they never guess: they warn once, and logs are kept for the next flush, unlinked.
import { callTarget, TraceHandle, type TraceWrapper } from "./handle.js";
import { invocationOf, type Invocation } from "./invocation.js";
import type { LogEvent, LogIds } from "../model/records.js";
import type { ScopeOptions } from "../model/scope.js";
import { warnOnce } from "../util/warn.js";
import { createTracedFetch } from "../providers/traced-fetch.js";
import { orphanCollector } from "../record/orphans.js";
import { activeContext } from "../context/storage.js";

/** The handle of the code calling: its invocation and scope, or the orphan collector when none can be found. */
function ambientHandle(what: string): TraceHandle {
  const active = activeContext();
  if (active) return new TraceHandle(active.collector, active.scope);
  warnOnce(
    "no-invocation",
    `${what} was called outside an invocation that edge-tracer can find, so it cannot tell which request it belongs to. ` +
      "It is kept and exported, unlinked, with the next flush. Fix: use the handle (`withTracer(ctx, async (t) => t.log(...))`), " +
      'or pass `asyncLocalStorage`: the `AsyncLocalStorage` class of `node:async_hooks` (Workers need the `nodejs_als` flag).',
  );
  return new TraceHandle(orphanCollector());
}

/**
 * The invocation of the code calling, found through AsyncLocalStorage; undefined outside one or without ALS.
 *
 * @example const invocation = currentInvocation(); invocation?.log({ input, output });
 */
export function currentInvocation(): Invocation | undefined {
  const active = activeContext();
  return active && invocationOf(active.collector);
}

/**
 * Logs into the current invocation (needs AsyncLocalStorage; see {@link TraceHandle.log}).
 *
 * @example log({ input: "Give me a color", output: color });
 */
export function log(event: LogEvent): LogIds {
  return ambientHandle("log()").log(event);
}

/**
 * Runs `fn` in a scope of the current invocation (needs AsyncLocalStorage; see {@link TraceHandle.tracer}).
 *
 * @example await tracer({ session_id: "s1" }, async () => { ...; log({ input, output }) });
 */
export function tracer<R>(options: ScopeOptions, fn: (handle: TraceHandle) => R): R {
  return ambientHandle("tracer()").tracer(options, fn);
}

/**
 * Wraps a function, or decorates a method, so each call runs in its own scope of the invocation current
 * at call time (needs AsyncLocalStorage).
 *
 * @example
 * class Bot { @trace({ metadata: { bot: "v2" } }) async answer(q: string) { ... } }
 */
export function trace(options: ScopeOptions = {}): TraceWrapper {
  return (fn) =>
    function (this: unknown, ...args: unknown[]) {
      return ambientHandle("trace()").tracer(options, () => fn.apply(this, args));
    } as typeof fn;
}

/**
 * A fetch that records LLM calls into the current invocation (found through AsyncLocalStorage), and passes
 * through untouched when there is none.
 *
 * @example const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY, fetch: tracedFetch });
 */
export const tracedFetch: typeof fetch = /*@__PURE__*/ createTracedFetch(currentTarget);

function currentTarget() {
  const active = activeContext();
  return active && callTarget(active.collector, active.scope);
}
