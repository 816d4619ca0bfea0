// A test Worker streaming an LLM answer to its client in the two patterns users write: `/proxy` returns the
// provider's stream as its own response; `/sdk` reads it with the openai SDK and streams the text on. Traces go
// over OTLP to a loopback collector, so the test can read each step's status.
import OpenAI from "openai";
import { withTracer } from "edge-tracer";
import { otlp } from "edge-tracer/otlp";

interface Env { UPSTREAM_URL: string; OTLP_URL: string }

const encoder = new TextEncoder();
const body = JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "Count slowly" }] });

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) =>
    withTracer(ctx, async (t) => {
      if (new URL(request.url).pathname === "/proxy") {
        const upstream = await t.fetch(`${env.UPSTREAM_URL}/v1/chat/completions`, { method: "POST", headers: { authorization: "Bearer sk-test", "content-type": "application/json" }, body });
        return new Response(upstream.body, { headers: { "content-type": "text/event-stream" } });
      }
      const openai = new OpenAI({ apiKey: "sk-test", baseURL: `${env.UPSTREAM_URL}/v1`, fetch: t.fetch, maxRetries: 0 });
      const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "Count slowly" }] });
      const iterator = stream[Symbol.asyncIterator]();
      return new Response(new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value, done } = await iterator.next();
          if (done) controller.close();
          else controller.enqueue(encoder.encode(value.choices[0]?.delta.content ?? ""));
        },
        // The client went away: stop reading, which cancels the SDK's stream and so the upstream.
        cancel: () => void stream.controller.abort(),
        // text/event-stream: workerd gzips text/plain for a client that accepts it, in 16 KB blocks, which would
        // deliver this short answer whole before the client could leave halfway.
      }), { headers: { "content-type": "text/event-stream" } });
    }, {
      exporters: [otlp({ url: env.OTLP_URL, protocol: "http/json" })],
      providers: [{ baseUrl: env.UPSTREAM_URL, kind: "openai" }],
      flushTimeoutMs: 10_000,
    }),
};
