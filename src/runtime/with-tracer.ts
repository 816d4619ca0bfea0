// withTracer: one invocation around a handler, flushed after it settles through waitUntil (or awaited).
import { runInContext } from "../context/storage.js";
import type { TracerConfig } from "../model/config.js";
import type { Invocation } from "../api/invocation.js";
import { tracerOrOff, type InvocationOptions, type Tracer } from "../api/tracer.js";
import { guard } from "../util/warn.js";
import { now } from "../util/clock.js";
import { watchBody } from "./response-body.js";
import { findWaitUntil, type ExecutionContextLike } from "./wait-until.js";

/**
 * Runs `fn` with a fresh {@link Invocation}, then flushes it: handed to `ctx.waitUntil` so the response is
 * not delayed, or awaited (within `flushTimeoutMs`) where the runtime has no waitUntil.
 * When `fn` returns a Response with a body, the invocation stays open until that body has been read to its end
 * or cancelled: LLM calls made while it streams (the Vercel AI SDK's `streamText`) are recorded and linked.
 * Returns what `fn` returns (such a Response rebuilt around the same bytes) and rethrows what it throws.
 * A config mistake never fails the request: it is reported once on the console and the request runs untraced.
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
  const invocation = tracerOrOff(() => tracerOrConfig).startInvocation(options);
  const { collector, flush } = invocation;
  const waitUntil = findWaitUntil(ctx);
  let bodyOpen = false;
  try {
    return await runInContext({ collector, scope: collector.root }, async () => {
      const result = await fn(invocation);
      // Piped inside the invocation's context, so a lazy body's calls find it through AsyncLocalStorage too.
      return guard("withTracer", () => {
        let ended!: () => void;
        const watched = watchBody(result, () => ended(), waitUntil ? undefined : flush);
        if (!watched) return result;
        bodyOpen = true;
        collector.keepOpenUntil(new Promise<void>((resolve) => (ended = resolve)));
        return watched as T;
      }, result);
    });
  } finally {
    collector.root.endTime = now();
    const flushed = flush();
    if (waitUntil) waitUntil(flushed);
    // Without waitUntil, a returned body awaits the flush before it closes (see watchBody); else await it here.
    else if (!bodyOpen) await flushed;
  }
}
