// The stream-abort Worker under Deno.serve (no waitUntil: the pull-stream path), on a free loopback port that it
// prints as JSON; the upstream and OTLP URLs come as arguments.
import worker from "../workers/stream-abort.js";

type Serve = (options: { hostname: string; port: number; onListen(address: { port: number }): void }, handler: (request: Request) => Promise<Response>) => unknown;
const deno = (globalThis as unknown as { Deno: { args: string[]; serve: Serve } }).Deno;
const [UPSTREAM_URL, OTLP_URL] = deno.args as [string, string];

deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(JSON.stringify({ port })) },
  (request) => worker.fetch(request, { UPSTREAM_URL, OTLP_URL }, null as unknown as ExecutionContext),
);
