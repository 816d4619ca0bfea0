// bench/patterns.mjs in Deno: the same handler as the Worker, under Deno.serve on a loopback port. Deno.args[0] is
// the env as JSON ({ UP, SINK }); the port goes to stdout as a JSON line once it listens.
import handler from "./handler.js";

const env = JSON.parse(Deno.args[0]);
Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(JSON.stringify({ port })) }, (request) => handler.fetch(request, env, null));
