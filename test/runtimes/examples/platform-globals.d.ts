// The few platform types the examples use, so they type-check with the tests (which have DOM and Node types,
// not those of Workers, Deno or service workers). Only what the examples touch.
export {};

declare global {
  /** Cloudflare Workers' execution context. */
  interface ExecutionContext {
    waitUntil(promise: Promise<unknown>): void;
    passThroughOnException(): void;
  }

  /** The service-worker FetchEvent (Vercel's Edge Runtime). */
  interface FetchEvent extends Event {
    readonly request: Request;
    respondWith(response: Response | Promise<Response>): void;
    waitUntil(promise: Promise<unknown>): void;
  }
  function addEventListener(type: "fetch", listener: (event: FetchEvent) => void): void;

  /** The part of the Deno namespace the Deno example uses. */
  const Deno: {
    env: { get(name: string): string | undefined };
    serve(handler: (request: Request) => Response | Promise<Response>): unknown;
  };
}
