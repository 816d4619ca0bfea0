// Finds a waitUntil for the flush, per runtime. Where there is none, the caller awaits the flush instead.
//   workerd (Workers)      the `ctx` of the handler: `ctx.waitUntil`
//   edge-light (Vercel)    a `ctx`/event the user passes, else Vercel's request context (what @vercel/functions reads)
//   deno, node, unknown    a `ctx` the user passes (Netlify's context has one), else none: the flush is awaited
// Discovery goes by what is there, not by runtime name: Next.js sets its request context on Node too.

/** The part of an execution context we use: Workers' `ctx`, a FetchEvent, or any object with `waitUntil`. */
export interface ExecutionContextLike {
  waitUntil?(promise: Promise<unknown>): void;
}

type WaitUntil = (promise: Promise<unknown>) => void;
type RequestContext = { get?: () => ExecutionContextLike | undefined };

// Some Next.js versions set their own symbol before Vercel's.
const requestContexts = [Symbol.for("@next/request-context"), Symbol.for("@vercel/request-context")];

/**
 * Calls `owner.waitUntil` as a method (workerd's throws "Illegal invocation" when detached), and never throws:
 * the flush promise is already running and never rejects, so a refusal only loses the platform's keep-alive.
 */
const bound = (owner: ExecutionContextLike): WaitUntil => (promise) => {
  try {
    owner.waitUntil!(promise);
  } catch {
    // e.g. a context already closed: nothing the user's code should see.
  }
};

/** The waitUntil to hand the flush to, or undefined when the runtime offers none. Never throws. */
export function findWaitUntil(ctx: ExecutionContextLike | null | undefined): WaitUntil | undefined {
  try {
    if (typeof ctx?.waitUntil === "function") return bound(ctx);
    for (const symbol of requestContexts) {
      const context = (globalThis as Record<symbol, RequestContext | undefined>)[symbol]?.get?.();
      if (typeof context?.waitUntil === "function") return bound(context);
    }
  } catch {
    // A broken context getter must not turn into an error in the user's handler: fall back to awaiting.
  }
  return undefined;
}
