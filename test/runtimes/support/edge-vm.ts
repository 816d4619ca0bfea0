// Runs an example in Vercel's Edge Runtime sandbox (@edge-runtime/vm), set up as Next.js sets it up:
// `process.env` defined, and optionally a global AsyncLocalStorage and Vercel's request context.
import { AsyncLocalStorage } from "node:async_hooks";
import { EdgeVM } from "@edge-runtime/vm";
import { routedFetch, type Routes } from "./routes.js";

/** What a request context's waitUntil was handed: Vercel keeps the function alive until these settle. */
export type WaitUntilCalls = Promise<unknown>[];

export interface EdgeVmOptions {
  env: Record<string, string>;
  routes: Routes;
  /** Define `globalThis.AsyncLocalStorage`, as Next.js's edge sandbox does. */
  asyncLocalStorage: boolean;
  /** Define Vercel's request context (`globalThis[Symbol.for("@vercel/request-context")]`). */
  requestContext: boolean;
}

/** Evaluates `code` (a script from `bundleEntries(…, "iife")`) in a fresh sandbox. */
export function startEdgeVm(code: string, options: EdgeVmOptions) {
  let active: { waitUntil(promise: Promise<unknown>): void } | undefined;
  const vm = new EdgeVM({
    extend(context) {
      // Next.js defines process.env in its edge sandbox; the openai SDK reads it. The library never does.
      Object.assign(context, { process: { env: { ...options.env } } });
      if (options.asyncLocalStorage) Object.assign(context, { AsyncLocalStorage });
      if (options.requestContext) Object.assign(context, { [Symbol.for("@vercel/request-context")]: { get: () => active } });
      context.fetch = routedFetch(context.fetch, options.routes) as typeof context.fetch;
      return context;
    },
  });
  vm.evaluate(code);
  const example = (vm.context as unknown as { __example: Record<string, any> }).__example;
  return {
    vm,
    /**
     * Calls the route's `POST` the way Next.js's App Router does, inside a request context whose waitUntil
     * records what it is handed (when the request context is on).
     */
    async callRoute(url: string, init: RequestInit): Promise<{ response: Response; waited: WaitUntilCalls }> {
      const waited: WaitUntilCalls = [];
      active = { waitUntil: (promise) => void waited.push(promise) };
      try {
        const response: Response = await example.POST(new vm.context.Request(url, init), { params: Promise.resolve({}) });
        return { response, waited };
      } finally {
        active = undefined;
      }
    },
    /** Dispatches a FetchEvent, as the `edge-runtime` server does; the event's waitUntil promises come back with the response. */
    async dispatch(url: string, init: RequestInit): Promise<{ response: Response; waited: Promise<unknown[]> }> {
      const response = await vm.dispatchFetch(url, init);
      return { response: response as unknown as Response, waited: response.waitUntil() };
    },
  };
}
