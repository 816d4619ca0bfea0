// The example Worker: a small LLM pipeline traced by edge-tracer, using the official OpenAI and Mistral SDKs.
// By default it talks to the local mock that `npm start` launches (MOCK_LLM_URL in wrangler.toml).
// To use the real APIs, put OPENAI_API_KEY, MISTRAL_API_KEY and MOCK_LLM_URL="" in .dev.vars.
import { AsyncLocalStorage } from "node:async_hooks";
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http.js";
import OpenAI from "openai";
import { consoleExporter, currentInvocation, instrument, phosphoExporter, tracer, type Exporter, type TracerConfig } from "edge-tracer";

export interface Env {
  OPENAI_API_KEY?: string;
  MISTRAL_API_KEY?: string;
  /** The mock LLM server; set it to "" to call the real APIs. */
  MOCK_LLM_URL?: string;
  PHOSPHO_API_KEY?: string;
  PHOSPHO_PROJECT_ID?: string;
  PHOSPHO_BASE_URL?: string;
}

/** The mock's base URL, when the example should use it. */
const mockUrl = (env: Env) => env.MOCK_LLM_URL || undefined;

/** Resolved per invocation from env, as Workers hand secrets to each request. */
function tracerConfig(env: Env): TracerConfig {
  const exporters: Exporter[] = [consoleExporter()];
  if (env.PHOSPHO_API_KEY && env.PHOSPHO_PROJECT_ID) {
    exporters.push(phosphoExporter({ apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID, baseUrl: env.PHOSPHO_BASE_URL || undefined }));
  }
  const mock = mockUrl(env);
  return {
    exporters,
    asyncLocalStorage: AsyncLocalStorage,
    serviceName: "edge-tracer-example",
    // The mock speaks both dialects on loopback: declare it so its calls are traced like the real hosts.
    providers: mock ? [{ baseUrl: `${mock}/openai`, kind: "openai" }, { baseUrl: `${mock}/mistral`, kind: "mistral" }] : [],
  };
}

export default instrument<Env, ExportedHandler<Env>>(
  {
    async fetch(request, env) {
      const url = new URL(request.url);
      if (url.pathname !== "/") return new Response("Not found. Try GET /?q=your+question\n", { status: 404 });
      const question = url.searchParams.get("q") ?? "Tell me a short story about a colorful animal";
      // The invocation instrument() opened for this request; its fetch records every LLM call.
      const { fetch } = currentInvocation()!;
      const mock = mockUrl(env);
      const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY ?? "mock-key", baseURL: mock ? `${mock}/openai/v1` : undefined, fetch, maxRetries: 0 });
      const mistral = new Mistral({
        apiKey: env.MISTRAL_API_KEY ?? "mock-key",
        serverURL: mock ? `${mock}/mistral` : undefined,
        httpClient: new HTTPClient({ fetcher: (input, init) => fetch(input, init) }),
        retryConfig: { strategy: "none" },
      });

      const metadata = { route: url.pathname, user_agent: request.headers.get("user-agent") ?? "unknown" };
      return tracer({ session_id: request.headers.get("x-session-id") ?? undefined, metadata }, async (scope) => {
        const color = await openai.chat.completions.create({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: "Say a color" }],
          max_tokens: 5,
        });
        const animal = await mistral.chat.complete({
          model: "mistral-small-latest",
          messages: [{ role: "user", content: "Say an animal" }],
        });
        const colorText = color.choices[0]?.message.content ?? "";
        const animalText = String(animal.choices?.[0]?.message?.content ?? "");
        const facts = await scope.step("retrieve facts", () => retrieveFacts(animalText), { input: animalText });
        const prompt = `${question}. Feature ${colorText} and ${animalText}. Facts: ${facts.join(" ")}`;

        const stream = await openai.chat.completions.create({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: prompt }],
          stream: true,
          stream_options: { include_usage: true },
        });
        // No output given: the log takes the streamed answer's text once the client has read it.
        scope.log({ input: question, steps: [{ name: "compose prompt", input: { color: colorText, animal: animalText }, output: prompt }] });

        const encoder = new TextEncoder();
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            for await (const chunk of stream) controller.enqueue(encoder.encode(chunk.choices[0]?.delta?.content ?? ""));
            controller.enqueue(encoder.encode("\n"));
            controller.close();
          },
        });
        return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8" } });
      });
    },
  },
  tracerConfig,
);

/** Stands in for a vector store lookup: a custom step is any work you want to see in the trace. */
async function retrieveFacts(animal: string): Promise<string[]> {
  const facts: Record<string, string[]> = { otter: ["Otters hold hands while sleeping.", "Sea otters use stones as tools."] };
  return facts[animal.trim().toLowerCase()] ?? [`${animal} is an animal.`];
}
