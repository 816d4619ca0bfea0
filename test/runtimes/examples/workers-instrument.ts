// docs/runtimes.md example: a Cloudflare Worker with `compatibility_flags = ["nodejs_als"]`. `instrument` opens one
// invocation per request, and the module-level `tracedFetch`, `tracer` and `log` find it on their own.
import { AsyncLocalStorage } from "node:async_hooks";
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http.js";
import OpenAI from "openai";
import { instrument, log, tracedFetch, tracer } from "edge-tracer";

interface Env { OPENAI_API_KEY: string; MISTRAL_API_KEY: string; PHOSPHO_API_KEY: string; PHOSPHO_PROJECT_ID: string }

async function tellStory(question: string, env: Env): Promise<string> {
  const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY, fetch: tracedFetch });
  const mistral = new Mistral({ apiKey: env.MISTRAL_API_KEY, httpClient: new HTTPClient({ fetcher: (req) => tracedFetch(req) }) });
  const color = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say a color" }] });
  const prompt = `${question} Make it ${color.choices[0]?.message.content}.`;
  let story = "";
  for await (const event of await mistral.chat.stream({ model: "mistral-small-latest", messages: [{ role: "user", content: prompt }] })) {
    story += event.data.choices[0]?.delta.content ?? "";
  }
  log({ input: question, output: story, steps: [{ name: "compose prompt", input: question, output: prompt }] });
  return story;
}

export default instrument(
  {
    async fetch(request: Request, env: Env) {
      const question = await request.text();
      const story = await tracer({ session_id: request.headers.get("x-session-id") ?? undefined }, () => tellStory(question, env));
      return new Response(story);
    },
  },
  (env: Env) => ({ apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID, asyncLocalStorage: AsyncLocalStorage }),
);
