// Fault injection in workerd against loopback servers. For every fault of the sink (phospho) or of the LLM
// provider, both halves hold: (1) the user's response is byte-identical to the same Worker code run without
// the tracer, and never waits for the flush; (2) every log and step is either delivered (the sink got it)
// or reported (the flush's ExportResult, onExportError, and one console line), and nothing is counted as
// sent that the sink did not get.
import type { Miniflare, Response as MiniflareResponse } from "miniflare";
import { afterAll, beforeAll, describe, it, type ExpectStatic } from "vitest";
import { closedPortUrl, startFaultySink, type Fault, type FaultySink } from "./mocks/faulty-sink.mjs";
import { startMockLlm, type MockLlm } from "./mocks/mock-llm.mjs";
import { startMockPhospho, type MockPhospho, type OtlpSpan } from "./mocks/mock-phospho.mjs";
import { startWorker } from "./support/workerd.js";

/** The worker's flush budget (flushTimeoutMs). */
const BUDGET_MS = 1_500;
/** Each traced run records 1 log and 2 steps (a custom step and the LLM call). */
const LOGS = 1;
const STEPS = 2;

type ExportError = { destination: string; reason: string; count: number };
interface Results {
  traceId: string;
  flush: { sent: number; retried: number; dropped: number; errors: ExportError[] };
  hook: ExportError[];
  console: string[];
}
interface Captured {
  status: number;
  contentType: string | null;
  body: string;
  /** The body stream failed before its end. */
  failed: boolean;
}

let mf: Miniflare;
let llm: MockLlm;
let phospho: MockPhospho;
const sinks: FaultySink[] = [];

beforeAll(async () => {
  [llm, phospho] = await Promise.all([startMockLlm(), startMockPhospho({ apiKey: "phospho-key", projectId: "proj" })]);
  mf = await startWorker("test/workers/fault-worker.ts");
});

afterAll(async () => {
  await mf?.dispose();
  await Promise.all([llm?.close(), phospho?.close(), ...sinks.map((sink) => sink.close())]);
});

async function sink(faults: Fault[]): Promise<FaultySink> {
  const started = await startFaultySink({ faults });
  sinks.push(started);
  return started;
}

/** Everything the client gets: status, content type, every byte until the end or the failure. */
async function capture(response: MiniflareResponse): Promise<Captured> {
  const chunks: Uint8Array[] = [];
  let failed = false;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
      if (done || !value) break;
      chunks.push(value);
    }
  } catch {
    failed = true;
  }
  return { status: response.status, contentType: response.headers.get("content-type"), body: Buffer.concat(chunks).toString("latin1"), failed };
}

/** Runs the handler untraced, then traced; waits for the traced run's flush result. */
async function run(id: string, params: Record<string, string>) {
  const query = new URLSearchParams({ case: id, ...params });
  const untraced = await capture(await mf.dispatchFetch(`http://app.test/run?traced=0&${query}`));
  const started = Date.now();
  const response = await mf.dispatchFetch(`http://app.test/run?traced=1&${query}`);
  const traced = await capture(response);
  const responseMs = Date.now() - started;
  let results: Results | null = null;
  while (!results?.flush) {
    if (Date.now() - started > 20_000) throw new Error(`no flush result for ${id}: ${JSON.stringify(results)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    results = (await (await mf.dispatchFetch(`http://app.test/results?case=${id}`)).json()) as Results | null;
  }
  return { untraced, traced, responseMs, settledMs: Date.now() - started, results };
}

/**
 * Half (2): each log and step was delivered or reported, per destination, through every channel, and the
 * flush counted as sent exactly what the sink got.
 */
function expectAccountedFor(expect: ExpectStatic, results: Results, delivered: { logs: number; steps: number }) {
  const { flush, hook } = results;
  const reported = (destination: string) => flush.errors.filter((e) => e.destination === destination).reduce((n, e) => n + e.count, 0);
  expect(delivered.logs + reported("phospho logs")).toBe(LOGS);
  expect(delivered.steps + reported("phospho steps")).toBe(STEPS);
  expect(flush.sent).toBe(delivered.logs + delivered.steps);
  expect(flush.dropped).toBe(LOGS + STEPS - flush.sent);
  expect(flush.errors.every((e) => e.reason.length > 0)).toBe(true);
  expect(hook).toEqual(flush.errors);
  // One console line per failed flush, naming each destination with its count; none when all went through.
  expect(results.console).toHaveLength(flush.errors.length ? 1 : 0);
  for (const error of flush.errors) expect(results.console[0]).toContain(`${error.destination}: ${error.count} not delivered (${error.reason})`);
}

const html = (status: number, text: string): Fault => ({ status, headers: { "content-type": "text/html" }, body: `<html><body><h1>${text}</h1></body></html>` });

interface SinkCase {
  name: string;
  /** Faults per phospho route (logs, steps); "refused" for an address where nothing listens. */
  faults: Fault[] | "refused";
  delivered: boolean;
  /** Requests each route got, when it is fixed. */
  requests?: number;
  reason?: RegExp;
}

const sinkCases: SinkCase[] = [
  { name: "the sink is down (connection refused)", faults: "refused", delivered: false, reason: /no time left in the flush budget to retry|flush budget spent/ },
  { name: "the sink is slower than the flush budget", faults: [{ delayMs: 30_000 }], delivered: false, requests: 1, reason: /^flush budget spent/ },
  { name: "the sink sends its headers at once, then stalls its body past the budget", faults: [{ stallMs: 30_000, body: '{"logged_events": []}' }], delivered: false, requests: 1, reason: /^flush budget spent/ },
  { name: "429 with Retry-After inside the budget, then success", faults: [{ status: 429, headers: { "content-type": "application/json", "retry-after": "1" }, body: '{"detail":"slow down"}' }, {}], delivered: true, requests: 2 },
  { name: "429 with Retry-After past the budget", faults: [{ status: 429, headers: { "content-type": "application/json", "retry-after": "30" }, body: '{"detail":"slow down"}' }], delivered: false, requests: 1, reason: /^HTTP 429: \{"detail":"slow down"\}; no time left in the flush budget to retry$/ },
  { name: "500, then success", faults: [{ status: 500, body: '{"detail":"boom"}' }, {}], delivered: true, requests: 2 },
  { name: "the connection is reset mid-body, then success", faults: [{ reset: true }, {}], delivered: true, requests: 2 },
  { name: "the connection is reset mid-body every time", faults: [{ reset: true }], delivered: false, reason: /no time left in the flush budget to retry|flush budget spent/ },
  { name: "a 200 whose body is not JSON", faults: [html(200, "OK")], delivered: true, requests: 1 },
  { name: "a 400 whose body is not JSON", faults: [html(400, "400 Bad Request")], delivered: false, requests: 1, reason: /^HTTP 400: <html><body><h1>400 Bad Request<\/h1><\/body><\/html>$/ },
];

describe("the sink fails", () => {
  it.concurrent.for(sinkCases.map((c, i) => ({ ...c, id: `sink-${i}` })))("$name", async ({ id, faults, delivered, requests, reason }, { expect }) => {
    const target = faults === "refused" ? undefined : await sink(faults);
    const { untraced, traced, responseMs, settledMs, results } = await run(id, { llm: `${llm.url}`, sink: target?.url ?? (await closedPortUrl()) });

    // (1) The user's response: unchanged, and not held back by the flush.
    expect(traced).toEqual(untraced);
    expect(traced).toMatchObject({ status: 200, failed: false });
    expect(JSON.parse(traced.body)).toMatchObject({ text: "Teal" });
    expect(responseMs).toBeLessThan(BUDGET_MS);
    // The flush ends within its budget (the slow sink would take 30 s, Retry-After 30 s).
    expect(settledMs).toBeLessThan(BUDGET_MS + 2_500);

    // (2) Delivered or reported.
    const logs = target?.phosphoLogs() ?? [];
    const spans = target?.phosphoSpans() ?? [];
    const unique = { logs: new Set(logs.map((log) => log.task_id)).size, steps: new Set(spans.map((span) => span.spanId)).size };
    expect(unique).toEqual(delivered ? { logs: LOGS, steps: STEPS } : { logs: 0, steps: 0 });
    expectAccountedFor(expect, results, unique);
    if (delivered) {
      expect(results.flush.errors).toEqual([]);
      expect(spans.every((span) => span.traceId === results.traceId)).toBe(true);
    }
    for (const error of results.flush.errors) expect(error.reason).toMatch(reason!);
    if (target && requests !== undefined) {
      for (const path of ["/v2/log/proj", "/v3/otl/proj"]) {
        const sent = target.requests.filter((r) => r.path === path);
        expect(sent).toHaveLength(requests);
        // A retry sends the same bytes, ids included: the server keeps the first write, nothing is duplicated.
        for (const again of sent.slice(1)) expect(again.body.equals(sent[0]!.body)).toBe(true);
      }
      expect(results.flush.retried).toBe(requests > 1 ? LOGS + STEPS : 0);
    }
  });
});

/** An OpenAI (or Mistral) stream that stops after three words: the connection drops before `[DONE]`. */
function cutStream(model = "gpt-4o-mini-2024-07-18"): Fault {
  const chunk = (delta: Record<string, string>) =>
    `data: ${JSON.stringify({ id: "chatcmpl-cut", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
  return { reset: true, headers: { "content-type": "text/event-stream" }, body: chunk({ role: "assistant", content: "" }) + chunk({ content: "Once" }) + chunk({ content: " upon" }) + chunk({ content: " a" }) };
}

interface LlmCase {
  name: string;
  llm: "refused" | "mock" | "cut" | "cut-mistral";
  mode: "chat" | "stream-sdk" | "stream-raw" | "mistral-stream";
  llmStatus?: string;
  /** What the user sees either way. */
  response: { status: number; body: string | RegExp };
  /** What the LLM step exported says. */
  step: { error: boolean; httpStatus?: number };
  logOutput?: string | RegExp;
}

const llmCases: LlmCase[] = [
  { name: "the LLM provider is down", llm: "refused", mode: "chat", response: { status: 502, body: /^error: Error: Connection error\.$/ }, step: { error: true }, logOutput: "Error: Connection error." },
  { name: "the LLM provider returns 500", llm: "mock", mode: "chat", llmStatus: "500", response: { status: 502, body: "error: Error: 500 mock failure" }, step: { error: true, httpStatus: 500 } },
  { name: "the LLM stream is reset mid-way, read by the openai SDK", llm: "cut", mode: "stream-sdk", response: { status: 502, body: /^Once upon a\n\[stream failed\] / }, step: { error: true, httpStatus: 200 }, logOutput: "Once upon a" },
  // workerd ends the client's copy where the provider's stopped, traced or not.
  { name: "the LLM stream is reset mid-way, passed on to the client", llm: "cut", mode: "stream-raw", response: { status: 200, body: cutStream().body! }, step: { error: true, httpStatus: 200 }, logOutput: "Once upon a" },
  { name: "the LLM stream is reset mid-way, read by the Mistral SDK (fetch(Request))", llm: "cut-mistral", mode: "mistral-stream", response: { status: 502, body: /^Once upon a\n\[stream failed\] / }, step: { error: true, httpStatus: 200 }, logOutput: "Once upon a" },
];

describe("the LLM provider fails", () => {
  it.concurrent.for(llmCases.map((c, i) => ({ ...c, id: `llm-${i}` })))("$name", async ({ id, llm: kind, mode, llmStatus, response, step, logOutput }, { expect }) => {
    const llmUrl =
      kind === "refused" ? await closedPortUrl()
      : kind === "mock" ? llm.url
      : (await sink([kind === "cut" ? cutStream() : cutStream("mistral-small-latest")])).url;
    const { untraced, traced, responseMs, results } = await run(id, { llm: llmUrl, sink: phospho.url, mode, ...(llmStatus ? { llmStatus } : {}) });

    // (1) The user sees exactly what they would see without the tracer.
    expect(traced).toEqual(untraced);
    expect(traced.status).toBe(response.status);
    if (typeof response.body === "string") expect(traced.body).toBe(response.body);
    else expect(traced.body).toMatch(response.body);
    expect(responseMs).toBeLessThan(BUDGET_MS);

    // (2) The failed call is a step like any other: exported, with its error, linked to its log.
    const spans: OtlpSpan[] = await phospho.waitFor((s) => {
      const own = s.spans.filter((span) => span.traceId === results.traceId);
      return own.length === STEPS && own;
    });
    const taskId = spans[0]!.attributes["phospho.task_id"];
    const logs = phospho.logs.filter((log) => log.task_id === taskId);
    expect(logs).toHaveLength(LOGS);
    expect(spans.every((span) => span.attributes["phospho.task_id"] === taskId)).toBe(true);
    expectAccountedFor(expect, results, { logs: logs.length, steps: spans.length });
    expect(results.flush).toEqual({ sent: LOGS + STEPS, retried: 0, dropped: 0, errors: [] });
    const call = spans.find((span) => span.attributes["gen_ai.operation.name"] === "chat")!;
    expect(call.status.code).toBe(step.error ? 2 : 0);
    if (step.httpStatus !== undefined) expect(call.attributes["http.response.status_code"]).toBe(step.httpStatus);
    if (logOutput !== undefined) expect(logs[0]!.output).toMatch(logOutput);
    expect(phospho.errors).toEqual([]);
  });
});
