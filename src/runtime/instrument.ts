// instrument: wraps a Workers ExportedHandler so fetch, scheduled and queue each run in their own invocation.
import type { TracerConfig } from "../model/config.js";
import { guard } from "../util/warn.js";
import { tracerOrOff, type InvocationOptions, type Tracer } from "../api/tracer.js";
import type { ExecutionContextLike } from "./wait-until.js";
import { withTracer } from "./with-tracer.js";

// `ctx` is the platform's own context, passed through as it is.
type Handler<Env> = (event: any, env: Env, ctx: any) => unknown;

/** The handlers of a Workers module we trace; others are passed through as they are. */
export interface ExportedHandlerLike<Env = unknown> {
  fetch?: Handler<Env>;
  scheduled?: Handler<Env>;
  queue?: Handler<Env>;
}

/** A config, a tracer, or a function of the Worker's `env` returning either, resolved per invocation. */
export type ConfigSource<Env> = TracerConfig | Tracer | ((env: Env) => TracerConfig | Tracer);

const instrumented = Symbol.for("edge-tracer.instrumented");

/**
 * Wraps a Workers handler: each `fetch`, `scheduled` and `queue` event runs in its own invocation,
 * flushed through `ctx.waitUntil`. With AsyncLocalStorage in the config, module-level `log()` and
 * `tracedFetch` find it. Wrapping twice is a no-op.
 *
 * @example
 * export default instrument({ async fetch(request, env, ctx) { ... } },
 *   (env) => ({ apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID, asyncLocalStorage: AsyncLocalStorage }));
 */
export function instrument<Env, H extends ExportedHandlerLike<Env>>(handler: H, configOrFn: ConfigSource<Env> = {}): H {
  if ((handler as Record<symbol, unknown>)[instrumented]) return handler;
  const tracers = new WeakMap<object, Tracer>();
  // A config function runs once per env; what it returns, or a mistake in it, is settled by tracerOrOff.
  const tracerFor = (env: Env): Tracer => {
    if (typeof configOrFn !== "function") return tracerOrOff(() => configOrFn);
    const cached = env && typeof env === "object" ? tracers.get(env) : undefined;
    if (cached) return cached;
    const tracer = tracerOrOff(() => configOrFn(env));
    if (env && typeof env === "object") tracers.set(env, tracer);
    return tracer;
  };
  const wrapped: Record<string | symbol, unknown> = { ...(handler as object), [instrumented]: true };
  for (const [name, describe] of Object.entries(describers)) {
    const original = handler[name as keyof ExportedHandlerLike];
    if (typeof original !== "function") continue;
    wrapped[name] = async (event: unknown, env: Env, ctx: ExecutionContextLike) =>
      withTracer(ctx, () => original.call(handler, event, env, ctx), tracerFor(env), guard("instrument", () => describe(event), {}));
  }
  return wrapped as H;
}

/** How each traced handler names its invocation. A request also continues the trace its caller started, if it sent a traceparent. */
const describers: Record<keyof ExportedHandlerLike, (event: any) => InvocationOptions> = {
  fetch: (request: Request) => ({
    name: `${request.method} ${new URL(request.url).pathname}`,
    traceparent: request.headers.get("traceparent"),
    tracestate: request.headers.get("tracestate"),
  }),
  scheduled: (controller: { cron?: string }) => ({ name: `scheduled ${controller?.cron ?? ""}`.trim() }),
  queue: (batch: { queue?: string }) => ({ name: `queue ${batch?.queue ?? ""}`.trim() }),
};
