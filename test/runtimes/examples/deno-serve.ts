// docs/runtimes.md example: Deno (and Deno Deploy) with `Deno.serve`. There is no waitUntil: the response's body
// closes only once the export is done (bounded by `flushTimeoutMs`), so the request lives until then.
import { AsyncLocalStorage } from "node:async_hooks";
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http.js";
import OpenAI from "openai";
import { createTracer, withTracer } from "edge-tracer";

const tracer = createTracer({
  apiKey: Deno.env.get("PHOSPHO_API_KEY"),
  projectId: Deno.env.get("PHOSPHO_PROJECT_ID"),
  asyncLocalStorage: AsyncLocalStorage, // optional: enables the module-level log(), tracer() and tracedFetch
});

Deno.serve((request) =>
  withTracer(null, (t) =>
    t.tracer({ session_id: request.headers.get("x-session-id") ?? undefined }, async (s) => {
      const openai = new OpenAI({ apiKey: Deno.env.get("OPENAI_API_KEY"), fetch: s.fetch });
      const mistral = new Mistral({ apiKey: Deno.env.get("MISTRAL_API_KEY"), httpClient: new HTTPClient({ fetcher: (req) => s.fetch(req) }) });
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
    tracer,
  ),
);
