// A test Worker with AsyncLocalStorage: SDK clients made once at module scope with `tracedFetch`,
// module-level tracer() and log(). Requests share the clients; their traces must not mix.
import { AsyncLocalStorage } from "node:async_hooks";
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http.js";
import OpenAI from "openai";
import { instrument, log, tracedFetch, tracer } from "edge-tracer";
import type { PipelineEnv } from "./pipeline-env.js";

let clients: { openai: OpenAI; mistral: Mistral } | undefined;
const clientsFor = (env: PipelineEnv) =>
  (clients ??= {
    openai: new OpenAI({ apiKey: "sk-test", baseURL: `${env.MOCK_LLM_URL}/openai/v1`, fetch: tracedFetch, maxRetries: 0 }),
    mistral: new Mistral({
      apiKey: "m-test",
      serverURL: `${env.MOCK_LLM_URL}/mistral`,
      httpClient: new HTTPClient({ fetcher: (input, init) => tracedFetch(input, init) }),
      retryConfig: { strategy: "none" },
    }),
  });

export default instrument<PipelineEnv, { fetch(request: Request, env: PipelineEnv): Promise<Response> }>(
  {
    async fetch(request, env) {
      const q = new URL(request.url).searchParams.get("q") ?? "";
      const { openai, mistral } = clientsFor(env);
      return tracer({ session_id: `session-${q}`, metadata: { q } }, async () => {
        const first = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: `${q} first` }] });
        let second = "";
        for await (const event of await mistral.chat.stream({ model: "mistral-small-latest", messages: [{ role: "user", content: `${q} second` }] })) {
          second += String(event.data.choices[0]?.delta.content ?? "");
        }
        log({ input: q });
        return new Response(`${first.choices[0]?.message.content}|${second}`);
      });
    },
  },
  (env) => ({
    apiKey: env.PHOSPHO_API_KEY,
    projectId: env.PHOSPHO_PROJECT_ID,
    baseUrl: env.PHOSPHO_BASE_URL,
    asyncLocalStorage: AsyncLocalStorage,
    providers: [{ baseUrl: `${env.MOCK_LLM_URL}/openai`, kind: "openai" }, { baseUrl: `${env.MOCK_LLM_URL}/mistral`, kind: "mistral" }],
  }),
);
