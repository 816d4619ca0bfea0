// A test Worker exporting over OTLP: instrument + AsyncLocalStorage, an LLM call in a block, a call to a
// downstream service that should receive our traceparent, and a log.
import { AsyncLocalStorage } from "node:async_hooks";
import { instrument, log, tracedFetch, tracer } from "edge-tracer";
import { otlp } from "edge-tracer/otlp";

interface Env {
  MOCK_LLM_URL: string;
  OTLP_URL: string;
  OTLP_PROTOCOL: "http/json" | "http/protobuf";
  DOWNSTREAM_URL: string;
}

export default instrument<Env, { fetch(request: Request, env: Env): Promise<Response> }>(
  {
    async fetch(request, env) {
      return tracer({ name: "answer", session_id: "s-otlp" }, async () => {
        const reply = await tracedFetch(`${env.MOCK_LLM_URL}/openai/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say a color" }], temperature: 0.3 }),
        });
        const color = ((await reply.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
        await tracedFetch(`${env.DOWNSTREAM_URL}/echo`, { method: "POST", body: color });
        log({ input: new URL(request.url).searchParams.get("q") ?? "", output: color });
        return new Response(color);
      });
    },
  },
  (env) => ({
    asyncLocalStorage: AsyncLocalStorage,
    exporters: [otlp({ url: env.OTLP_URL, protocol: env.OTLP_PROTOCOL, headers: { "x-api-key": "otlp-test" } })],
    semconv: "both",
    serviceName: "otlp-test-worker",
    propagateTo: [env.DOWNSTREAM_URL],
    providers: [{ baseUrl: `${env.MOCK_LLM_URL}/openai`, kind: "openai" }],
  }),
);
