// docs/runtimes.md example: a Cloudflare Worker with no compatibility flag. The handle `withTracer` passes in records everything.
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http.js";
import OpenAI from "openai";
import { withTracer } from "edge-tracer";

interface Env { OPENAI_API_KEY: string; MISTRAL_API_KEY: string; PHOSPHO_API_KEY: string; PHOSPHO_PROJECT_ID: string }

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) =>
    withTracer(ctx, (t) =>
      t.tracer({ session_id: request.headers.get("x-session-id") ?? undefined }, async (s) => {
        const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY, fetch: s.fetch });
        const mistral = new Mistral({ apiKey: env.MISTRAL_API_KEY, httpClient: new HTTPClient({ fetcher: (req) => s.fetch(req) }) });
        const question = await request.text();
        const color = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say a color" }] });
        const prompt = `${question} Make it ${color.choices[0]?.message.content}.`;
        let story = "";
        for await (const event of await mistral.chat.stream({ model: "mistral-small-latest", messages: [{ role: "user", content: prompt }] })) {
          story += event.data.choices[0]?.delta.content ?? "";
        }
        s.log({ input: question, output: story, steps: [{ name: "compose prompt", input: question, output: prompt }] });
        return new Response(story);
      }),
      { apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID },
    ),
};
