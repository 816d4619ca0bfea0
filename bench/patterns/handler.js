// The handler that bench/patterns.mjs runs in workerd (as a Worker, worker.js) and in Deno (under Deno.serve,
// deno.js): the patterns users write, each untraced (`mode=plain`) or traced with the real edge-tracer (`mode=traced`:
// every step recorded and the batch built, handed to an exporter that discards it; `mode=export`: sent to a
// phospho-shaped sink on loopback). Routes, `n` content events paced `pace` ms apart by the upstream:
//   /proxy  the Worker returns the provider's stream as its own response; the client reads it all
//   /sdk    the openai SDK consumes the stream inside the Worker (for await), then the Worker answers with the text
//   /ai     the Vercel AI SDK: streamText(…).toTextStreamResponse(); the client reads it all
//   /json   one non-streamed chat call through the openai SDK (1.5 KB each way)
//   /count  how many chunks a JavaScript reader gets from the upstream body (untraced, or through the traced fetch)
//   /seen   what the traced calls' exported steps said so far (steps, ok, chunks, first tokens)
// `env`: UP (the loopback upstream) and SINK (its export sink). Nothing here reaches anything but those.
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import OpenAI from "openai";
import { createTracer, phosphoExporter, withTracer } from "edge-tracer";
import { chatMessages } from "./chat.js";

// `traced`: the batch is built and handed to this exporter, which only counts what the steps say (the bench checks
// that every traced call was recorded in full).
const seen = { steps: 0, ok: 0, chunks: 0, firstTokens: 0 };
const discard = {
  name: "count",
  export: async (batch) => {
    for (const step of [...batch.logs.flatMap((log) => log.steps), ...batch.looseSteps]) {
      seen.steps++;
      if (step.status === "ok") seen.ok++;
      seen.chunks += step.llm?.chunks ?? 0;
      if (step.firstTokenTime !== undefined) seen.firstTokens++;
    }
    return { sent: 0, retried: 0, dropped: 0, errors: [] };
  },
};
const tracers = {};
const tracerFor = (mode, env) =>
  (tracers[mode] ??= createTracer({
    exporters: [mode === "export" ? phosphoExporter({ apiKey: "bench", projectId: "bench", baseUrl: `${env.SINK}/sink` }) : discard],
    providers: [{ baseUrl: env.UP, kind: "openai" }],
  }));

const streamBody = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Words, please" }], stream: true });

/** The pattern's code, as a user writes it, given the fetch to use (undefined: the runtime's own, as untraced code has). */
const patterns = {
  async proxy(base, fetchFn = fetch) {
    const upstream = await fetchFn(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-bench" },
      body: streamBody,
    });
    return new Response(upstream.body, { status: upstream.status, headers: { "content-type": "text/event-stream" } });
  },
  async sdk(base, fetchFn) {
    const openai = new OpenAI({ apiKey: "sk-bench", baseURL: `${base}/v1`, maxRetries: 0, ...(fetchFn && { fetch: fetchFn }) });
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Words, please" }], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    return new Response(text);
  },
  async ai(base, fetchFn) {
    const model = createOpenAI({ apiKey: "sk-bench", baseURL: `${base}/v1`, ...(fetchFn && { fetch: fetchFn }) }).chat("gpt-4o-mini");
    return streamText({ model, prompt: "Words, please", maxRetries: 0 }).toTextStreamResponse();
  },
  async json(base, fetchFn) {
    const openai = new OpenAI({ apiKey: "sk-bench", baseURL: `${base}/v1`, maxRetries: 0, ...(fetchFn && { fetch: fetchFn }) });
    const completion = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: chatMessages, temperature: 0.2 });
    return new Response(completion.choices[0].message.content);
  },
};

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const mode = url.searchParams.get("mode") ?? "plain";
    const base = `${env.UP}/s/${Number(url.searchParams.get("n") ?? 50)}/${Number(url.searchParams.get("pace") ?? 1)}`;
    const name = url.pathname.slice(1);
    if (name === "seen") return Response.json(seen);
    if (name === "count") {
      const count = async (fetchFn) => {
        const reader = (await fetchFn(`${base}/v1/chat/completions`, { method: "POST", body: streamBody })).body.getReader();
        let chunks = 0;
        while (!(await reader.read()).done) chunks++;
        return Response.json({ chunks });
      };
      return mode === "plain" ? count(fetch) : withTracer(ctx, (t) => count(t.fetch), tracerFor(mode, env));
    }
    const pattern = patterns[name];
    if (!pattern) return new Response("not found", { status: 404 });
    if (mode === "plain") return pattern(base);
    return withTracer(ctx, (t) => pattern(base, t.fetch), tracerFor(mode, env));
  },
};
