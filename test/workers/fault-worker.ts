// The Worker of the fault-injection matrix. `handle` is the user's code: a custom step, an LLM call (OpenAI plain,
// streamed through the SDK, or a raw stream passed on to the client; a Mistral SDK stream) and a log. /run?traced=0 runs it with the
// plain global fetch and no tracer; /run?traced=1 runs the same code under withTracer, exporting to phospho at
// `sink`. Test-only: /results?case= returns that case's flush result, its onExportError calls and the console
// lines naming its trace, all kept in this isolate.
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http.js";
import OpenAI from "openai";
import { createTracer, withTracer, type ExportResult, type LogEvent } from "edge-tracer";

interface Tools {
  fetch: typeof fetch;
  step<R>(name: string, fn: () => R, options?: { input?: unknown }): R;
  log(event: LogEvent): void;
}

const MODEL = "gpt-4o-mini";
const QUESTION = "Say a color";
const describe = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** The user's handler, identical traced or not. */
async function handle(url: URL, tools: Tools): Promise<Response> {
  const llm = url.searchParams.get("llm")!;
  const mode = url.searchParams.get("mode") ?? "chat";
  const status = url.searchParams.get("llmStatus");
  const headers = status ? { "x-mock-status": status } : undefined;
  const messages = [{ role: "system" as const, content: await tools.step("retrieve", async () => "Answer in one word.", { input: QUESTION }) }, { role: "user" as const, content: QUESTION }];

  if (mode === "stream-raw") {
    // The provider's stream, handed to the client as it comes.
    const upstream = await tools.fetch(`${llm}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, messages, stream: true }),
    });
    tools.log({ input: QUESTION });
    return new Response(upstream.body, { status: upstream.status, headers: { "content-type": upstream.headers.get("content-type") ?? "" } });
  }

  if (mode === "mistral-stream") {
    // The Mistral SDK calls fetch(Request), the other shape the traced fetch handles.
    const mistral = new Mistral({ apiKey: "m-test", serverURL: llm, httpClient: new HTTPClient({ fetcher: (input, init) => tools.fetch(input, init) }), retryConfig: { strategy: "none" } });
    let text = "";
    try {
      for await (const event of await mistral.chat.stream({ model: "mistral-small-latest", messages })) text += String(event.data.choices[0]?.delta.content ?? "");
      tools.log({ input: QUESTION, output: text });
      return new Response(text);
    } catch (error) {
      tools.log({ input: QUESTION, output: text, flag: "failure" });
      return new Response(`${text}\n[stream failed] ${describe(error)}`, { status: 502 });
    }
  }

  const openai = new OpenAI({ apiKey: "sk-test", baseURL: `${llm}/v1`, fetch: tools.fetch, maxRetries: 0 });
  if (mode === "stream-sdk") {
    let text = "";
    try {
      const stream = await openai.chat.completions.create({ model: MODEL, messages, stream: true }, { headers });
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      tools.log({ input: QUESTION, output: text });
      return new Response(text);
    } catch (error) {
      tools.log({ input: QUESTION, output: text, flag: "failure" });
      return new Response(`${text}\n[stream failed] ${describe(error)}`, { status: 502 });
    }
  }
  try {
    const completion = await openai.chat.completions.create({ model: MODEL, messages }, { headers });
    const text = completion.choices[0]?.message.content ?? "";
    tools.log({ input: QUESTION, output: text });
    return Response.json({ text, model: completion.model, usage: completion.usage });
  } catch (error) {
    tools.log({ input: QUESTION, output: describe(error), flag: "failure" });
    return new Response(`error: ${describe(error)}`, { status: 502 });
  }
}

interface CaseRecord {
  traceId?: string;
  flush?: ExportResult;
  hook: Array<{ destination: string; reason: string; count: number }>;
}

const cases = new Map<string, CaseRecord>();
const warnings: string[] = [];
// Test-only: keep what the tracer prints, to check that a failed flush says so in one line.
console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));

export default {
  async fetch(request: Request, env: unknown, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const id = url.searchParams.get("case") ?? "";
    if (url.pathname === "/results") {
      const record = cases.get(id);
      const lines = record?.traceId ? warnings.filter((line) => line.includes(record.traceId!)) : [];
      return Response.json(record ? { ...record, console: lines } : null);
    }
    const plain: Tools = { fetch: (input, init) => fetch(input, init), step: (_name, fn) => fn(), log: () => {} };
    if (url.searchParams.get("traced") !== "1") return handle(url, plain);

    const record: CaseRecord = { hook: [] };
    cases.set(id, record);
    const tracer = createTracer({
      apiKey: "phospho-key",
      projectId: "proj",
      baseUrl: url.searchParams.get("sink")!,
      flushTimeoutMs: 1_500,
      providers: [{ baseUrl: `${url.searchParams.get("llm")}/v1`, kind: url.searchParams.get("mode") === "mistral-stream" ? "mistral" : "openai" }],
      onExportError: (error) => void record.hook.push(error),
    });
    // The flush still runs in waitUntil; this only keeps its result for /results.
    const recording = { waitUntil: (flush: Promise<unknown>) => ctx.waitUntil(flush.then((result) => void (record.flush = result as ExportResult))) };
    return withTracer(recording, (t) => {
      record.traceId = t.traceId;
      return handle(url, { fetch: t.fetch, step: (name, fn, options) => t.step(name, fn, options), log: (event) => void t.log(event) });
    }, tracer);
  },
};
