// Runs first in the Deno bundle, before the example: routes the real API hosts to the loopback mocks (given as
// the first argument), makes `Deno.serve` listen on a free loopback port, and reports on stdout the port, the
// runtime detectRuntime() sees, and whether `node:async_hooks` gives the example an AsyncLocalStorage.
import { detectRuntime } from "../../../src/util/detect-runtime.js";
import { routedFetch, type Routes } from "./routes.js";

type Handler = (request: Request) => Response | Promise<Response>;
interface DenoHarness {
  args: string[];
  serve(options: { hostname: string; port: number; onListen(address: { port: number }): void }, handler: Handler): unknown;
}
const deno = (globalThis as unknown as { Deno: DenoHarness }).Deno;

// What the example's own `import { AsyncLocalStorage } from "node:async_hooks"` gets (the import map may withhold it).
const { AsyncLocalStorage } = await import("node:async_hooks");
const report = (port: number) => console.log(JSON.stringify({ port, runtime: detectRuntime(), asyncLocalStorage: typeof AsyncLocalStorage === "function" }));

const routes = JSON.parse(deno.args[0] ?? "[]") as Routes;
globalThis.fetch = routedFetch(globalThis.fetch.bind(globalThis), routes);
const serve = deno.serve.bind(deno);
// The example calls `Deno.serve(handler)`: same handler, on a free loopback port.
Object.assign(deno, { serve: (handler: Handler) => serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => report(port) }, handler) });
