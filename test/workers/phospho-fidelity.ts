// A Worker that sends phospho what used to break its server's processing: colliding and digit-only keys in log,
// custom-step and manual-step fields, an OpenTelemetry span carrying db.system and db.system.name (registerGlobal),
// a Vercel AI SDK call with its telemetry spans, ids given as numbers, and an invocation that never calls log().
import { AsyncLocalStorage } from "node:async_hooks";
import { createOpenAI } from "@ai-sdk/openai";
import { trace as otel } from "@opentelemetry/api";
import { generateText } from "ai";
import { instrument, log, tracedFetch, tracer } from "edge-tracer";

interface Env {
  MOCK_LLM_URL: string;
  PHOSPHO_URL: string;
}

async function chat(env: Env, content: string): Promise<string> {
  const reply = await tracedFetch(`${env.MOCK_LLM_URL}/openai/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content }] }),
  });
  return ((await reply.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
}

const routes: Record<string, (env: Env) => Promise<string>> = {
  // User keys that collide with each other and with ours, at every place a user's key reaches a span.
  async "/colliding"(env) {
    return tracer({ metadata: { user: "bob", "user.tier": "pro" } }, async (t) => {
      const docs = await t.step("retrieve", async () => "3 docs", { input: "q", metadata: { gen_ai: "mine", "gen_ai.system": "also mine", phospho: "p", "0": "zero" } });
      const answer = await chat(env, `Summarise ${docs}`);
      log({
        input: "q", output: answer, user_id: 42 as never, version_id: 7 as never, flag: "maybe" as never,
        metadata: { "0": "zero", nested: { "1": "one" } },
        steps: [{ name: "rerank", input: docs, output: "1 doc", "1": "one", "gen_ai.1": "x", "gen_ai.system": "manual" }],
      });
      return answer;
    });
  },
  // An OpenTelemetry span from the global tracer, with attributes whose keys are a leaf and a prefix of each other.
  async "/otel"(env) {
    const answer = await otel.getTracer("db").startActiveSpan("SELECT plans", { attributes: { "db.system": "postgresql", "db.system.name": "postgresql", "db.query.text": "SELECT 1" } }, async (span) => {
      try {
        return await chat(env, "Say a color");
      } finally {
        span.end();
      }
    });
    log({ input: "color?", output: answer });
    return answer;
  },
  // The Vercel AI SDK with its telemetry on: its spans reach us through the global tracer; no log(): the automatic one.
  async "/ai-sdk"(env) {
    const openai = createOpenAI({ apiKey: "sk-test", baseURL: `${env.MOCK_LLM_URL}/openai/v1`, fetch: tracedFetch });
    const { text } = await generateText({ model: openai.chat("gpt-4o-mini"), prompt: "Say a color", experimental_telemetry: { isEnabled: true, functionId: "color" } });
    return text;
  },
};

export default instrument<Env, { fetch(request: Request, env: Env): Promise<Response> }>(
  {
    async fetch(request, env) {
      const route = routes[new URL(request.url).pathname];
      return route ? new Response(await route(env)) : new Response("no such route", { status: 404 });
    },
  },
  (env) => ({
    apiKey: "phospho-key",
    projectId: "proj_fidelity",
    baseUrl: env.PHOSPHO_URL,
    environment: "staging",
    asyncLocalStorage: AsyncLocalStorage,
    registerGlobal: true,
    providers: [{ baseUrl: `${env.MOCK_LLM_URL}/openai`, kind: "openai" }],
  }),
);
