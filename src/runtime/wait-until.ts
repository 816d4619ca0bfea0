// Finds a waitUntil: the Workers ctx, or Vercel's request context. Where there is none, the flush is awaited.

/** The part of an execution context we use: Workers' `ctx`, or any object with `waitUntil`. */
export interface ExecutionContextLike {
  waitUntil?(promise: Promise<unknown>): void;
}

type WaitUntil = (promise: Promise<unknown>) => void;
type RequestContext = { get?: () => { waitUntil?: WaitUntil } | undefined };

export function findWaitUntil(ctx: ExecutionContextLike | null | undefined): WaitUntil | undefined {
  if (typeof ctx?.waitUntil === "function") return (promise) => ctx.waitUntil!(promise);
  // Vercel (what @vercel/functions reads); some Next.js versions use their own symbol first.
  for (const name of ["@next/request-context", "@vercel/request-context"]) {
    const found = ((globalThis as Record<symbol, RequestContext | undefined>)[Symbol.for(name)])?.get?.()?.waitUntil;
    if (typeof found === "function") return found;
  }
  return undefined;
}
