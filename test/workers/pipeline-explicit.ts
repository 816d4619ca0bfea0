// A test Worker without AsyncLocalStorage: everything goes through the handle withTracer passes in.
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http.js";
import OpenAI from "openai";
import { createTracer, withTracer, type Tracer } from "edge-tracer";
import type { PipelineEnv } from "./pipeline-env.js";

let tracer: Tracer | undefined;

export default {
  async fetch(request: Request, env: PipelineEnv, ctx: ExecutionContext): Promise<Response> {
    tracer ??= createTracer({
      apiKey: env.PHOSPHO_API_KEY,
      projectId: env.PHOSPHO_PROJECT_ID,
      baseUrl: env.PHOSPHO_BASE_URL,
      providers: [{ baseUrl: `${env.MOCK_LLM_URL}/openai`, kind: "openai" }, { baseUrl: `${env.MOCK_LLM_URL}/mistral`, kind: "mistral" }],
    });
    const q = new URL(request.url).searchParams.get("q") ?? "";
    return withTracer(ctx, async (t) => {
      const openai = new OpenAI({ apiKey: "sk-test", baseURL: `${env.MOCK_LLM_URL}/openai/v1`, fetch: t.fetch, maxRetries: 0 });
      const mistral = new Mistral({
        apiKey: "m-test",
        serverURL: `${env.MOCK_LLM_URL}/mistral`,
        httpClient: new HTTPClient({ fetcher: (input, init) => t.fetch(input, init) }),
        retryConfig: { strategy: "none" },
      });
      return t.tracer({ session_id: `session-${q}`, metadata: { q } }, async (scope) => {
        const first = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: `${q} first` }] });
        let second = "";
        for await (const event of await mistral.chat.stream({ model: "mistral-small-latest", messages: [{ role: "user", content: `${q} second` }] })) {
          second += String(event.data.choices[0]?.delta.content ?? "");
        }
        scope.log({ input: q });
        return new Response(`${first.choices[0]?.message.content}|${second}`);
      });
    }, tracer);
  },
};
