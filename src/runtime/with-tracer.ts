// withTracer: one invocation around a handler, flushed after it settles through waitUntil (or awaited).
import { runInContext } from "../context/storage.js";
import type { TracerConfig } from "../core/config.js";
import type { Invocation } from "../core/invocation.js";
import { tracerFrom, type InvocationOptions, type Tracer } from "../core/tracer.js";
import { warnOnce } from "../core/warn.js";
import { now } from "../core/clock.js";
import { findWaitUntil, type ExecutionContextLike } from "./wait-until.js";

/**
 * Runs `fn` with a fresh {@link Invocation}, then flushes it: handed to `ctx.waitUntil` so the response is
 * not delayed, or awaited (within `flushTimeoutMs`) where the runtime has no waitUntil.
 * Returns what `fn` returns and rethrows what it throws. A config mistake throws a `ConfigError`.
 *
 * @example
 * export default {
 *   fetch: (request, env, ctx) =>
 *     withTracer(ctx, async (t) => {
 *       const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY, fetch: t.fetch });
 *       ...
 *       t.log({ input, output });
 *       return new Response(output);
 *     }, { apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID }),
 * };
 */
export async function withTracer<T>(
  ctx: ExecutionContextLike | null | undefined,
  fn: (invocation: Invocation) => T | Promise<T>,
  tracerOrConfig?: Tracer | TracerConfig,
  options?: InvocationOptions,
): Promise<T> {
  const invocation = tracerFrom(tracerOrConfig).startInvocation(options);
  const { collector } = invocation;
  let result: T | undefined;
  try {
    return (result = await runInContext({ collector, scope: collector.root }, () => fn(invocation)));
  } finally {
    collector.root.endTime = now();
    const flushed = invocation.flush();
    const waitUntil = findWaitUntil(ctx);
    if (waitUntil) waitUntil(flushed);
    else if (collector.pending.size && hasBody(result)) {
      // Awaiting here would hold back the very stream the flush waits for.
      warnOnce("no-wait-until-stream", "no waitUntil was found and the handler returned a body while steps were open: the flush runs in the background and may be cut short. Pass a context with `waitUntil`.");
    } else await flushed;
  }
}

const hasBody = (value: unknown) => (value as { body?: unknown } | null | undefined)?.body != null;
