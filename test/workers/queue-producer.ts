// The producer Worker of the Queue round trip: traces go to a Queue (queueExporter) instead of a backend.
// Test-only: /results reads each flush's ExportResult, kept in this isolate by the id the test passed.
import OpenAI from "openai";
import { createTracer, queueExporter, withTracer, type ExportResult, type QueueLike, type Tracer } from "edge-tracer";

interface Env {
  TRACES: QueueLike;
  MOCK_LLM_URL: string;
}

let tracer: Tracer | undefined;
const results = new Map<string, ExportResult>();

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const id = url.searchParams.get("id") ?? "";
    if (url.pathname === "/results") return Response.json(results.get(id) ?? null);
    if (url.pathname === "/stray") {
      // A message some other code put on the queue: the consumer must not loop on it.
      await env.TRACES.send({ hello: "world" }, { contentType: "json" });
      return new Response("sent");
    }
    if (url.pathname === "/raw") {
      // A message as another release wrote it (a fixture), sent as is.
      await env.TRACES.send(await request.json(), { contentType: "json" });
      return new Response("sent");
    }
    tracer ??= createTracer({
      exporters: [queueExporter(env.TRACES)],
      flushTimeoutMs: 2_000,
      providers: [{ baseUrl: `${env.MOCK_LLM_URL}/openai`, kind: "openai" }],
    });
    // Keeps the flush's result for /results; the flush itself still runs in waitUntil.
    const recording = { waitUntil: (flush: Promise<unknown>) => ctx.waitUntil(flush.then((result) => void results.set(id, result as ExportResult))) };
    return withTracer(recording, async (t) => {
      if (url.pathname === "/chat") {
        const q = url.searchParams.get("q") ?? "";
        const openai = new OpenAI({ apiKey: "sk-test", baseURL: `${env.MOCK_LLM_URL}/openai/v1`, fetch: t.fetch, maxRetries: 0 });
        const context = await t.step("retrieve", async () => `notes about ${q}`, { input: q });
        const reply = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "system", content: context }, { role: "user", content: q }] });
        t.log({ input: q, session_id: `session-${id}`, metadata: { id } });
        return new Response(reply.choices[0]?.message.content ?? "");
      }
      // Logs of `bytes` bytes each, every one with a custom step: a batch over the 128 KB message limit.
      const logs = Number(url.searchParams.get("logs") ?? 1);
      const bytes = Number(url.searchParams.get("bytes") ?? 10);
      for (let i = 0; i < logs; i++) {
        await t.step(`retrieve ${i}`, async () => `doc ${i}`);
        t.log({ input: `${id}-${i}:`.padEnd(bytes, "x"), output: `answer ${i}`, session_id: `session-${id}` });
      }
      // One log bigger than a message can hold, even alone.
      if (url.searchParams.has("huge")) t.log({ input: "i".repeat(65_000), output: "o".repeat(65_000), session_id: `session-${id}` });
      return new Response(`logged ${logs}`);
    }, tracer);
  },
};
