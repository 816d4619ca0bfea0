// The OTLP exporter: the span tree of an invocation, in JSON checked against the OTLP JSON mapping field by
// field, and in protobuf decoded by an independent decoder (protobufjs with the OTLP schema).
import { afterEach, describe, expect, it, vi } from "vitest";
import { decodeOtlpTraces } from "../../test/mocks/otlp-schema.mjs";
import { createTracer } from "../index.js";
import { otlp } from "../otlp.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
const URL_ = "http://collector.test/v1/traces";

afterEach(() => vi.restoreAllMocks());

/** Runs one invocation (a block with an LLM call, a custom step and a log) and returns what the exporter sent. */
async function exportOnce(protocol: "http/json" | "http/protobuf", semconv: "current" | "legacy" | "both" = "both") {
  vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
    Response.json({ id: "r1", model: "gpt-4o-mini-2024-07-18", choices: [{ index: 0, message: { content: "Teal" }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
  );
  const sent: { url: string; headers: Headers; body: BodyInit }[] = [];
  const exportFetch = async (url: RequestInfo | URL, init?: RequestInit) => {
    sent.push({ url: String(url), headers: new Headers(init?.headers), body: init!.body! });
    return new Response("{}");
  };
  const tracer = createTracer({ exporters: [otlp({ url: URL_, protocol, headers: { "x-team": "t1" } })], fetch: exportFetch, semconv, serviceName: "chat-app" });
  const invocation = tracer.startInvocation({ name: "POST /chat", traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: "vendor=abc" });
  await invocation.tracer({ name: "answer", session_id: "s1" }, async (block) => {
    await block.fetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say a color" }], temperature: 0.5 }) });
    await block.step("retrieve", async () => ["doc"], { input: "q" });
    block.log({ input: "q", output: "Teal" });
  });
  const result = await invocation.flush();
  expect(result).toMatchObject({ sent: 5, dropped: 0, errors: [] });
  expect(sent).toHaveLength(1);
  return sent[0]!;
}

describe("OTLP/HTTP JSON", () => {
  it("follows the JSON mapping: camelCase, hex ids, enums as numbers, int64 as decimal strings", async () => {
    const request = await exportOnce("http/json");
    expect(request.url).toBe(URL_);
    expect(request.headers.get("content-type")).toBe("application/json");
    expect(request.headers.get("x-team")).toBe("t1");
    const body = JSON.parse(String(request.body));
    const [resourceSpans] = body.resourceSpans;
    expect(resourceSpans.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "chat-app" } });
    expect(resourceSpans.resource.attributes).toContainEqual({ key: "telemetry.sdk.name", value: { stringValue: "edge-tracer" } });
    const [scopeSpans] = resourceSpans.scopeSpans;
    expect(scopeSpans.scope).toEqual({ name: "edge-tracer", version: "0.1.0" });
    const spans: any[] = scopeSpans.spans;
    const byName = (name: string) => spans.find((span) => span.name === name);
    const root = byName("POST /chat");
    const block = byName("answer");
    const llm = byName("chat gpt-4o-mini");
    const log = byName("log");
    const step = byName("retrieve");

    for (const span of spans) {
      expect(span.traceId).toBe(TRACE_ID);
      expect(span.spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(span.startTimeUnixNano).toMatch(/^\d{19}$/);
      expect(span.endTimeUnixNano).toMatch(/^\d{19}$/);
      expect(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano)).toBe(true);
      expect(Object.keys(span).every((key) => /^[a-z][a-zA-Z]*$/.test(key))).toBe(true);
    }
    expect(root).toMatchObject({ kind: 2, parentSpanId: PARENT_ID, traceState: "vendor=abc" });
    expect(block).toMatchObject({ kind: 1, parentSpanId: root.spanId });
    expect(llm).toMatchObject({ kind: 3, parentSpanId: block.spanId, status: { code: 0 } });
    expect(step).toMatchObject({ kind: 1, parentSpanId: block.spanId });
    expect(log).toMatchObject({ kind: 1, parentSpanId: block.spanId });

    const attribute = (span: any, key: string) => span.attributes.find((entry: any) => entry.key === key)?.value;
    expect(attribute(llm, "gen_ai.usage.input_tokens")).toEqual({ intValue: "3" });
    expect(attribute(llm, "gen_ai.usage.prompt_tokens")).toEqual({ intValue: "3" });
    expect(attribute(llm, "gen_ai.request.temperature")).toEqual({ doubleValue: 0.5 });
    expect(attribute(llm, "gen_ai.request.model")).toEqual({ stringValue: "gpt-4o-mini" });
    expect(attribute(llm, "gen_ai.response.finish_reasons")).toEqual({ arrayValue: { values: [{ stringValue: "stop" }] } });
    expect(attribute(llm, "gen_ai.request.stream")).toEqual({ boolValue: false });
    expect(attribute(root, "edge_tracer.invocation.input_tokens")).toEqual({ intValue: "3" });
    expect(attribute(root, "edge_tracer.invocation.steps")).toEqual({ intValue: "2" });
    expect(attribute(log, "phospho.session_id")).toEqual({ stringValue: "s1" });
  });
});

describe("OTLP/HTTP protobuf", () => {
  it("decodes with an independent decoder into the same tree", async () => {
    const request = await exportOnce("http/protobuf");
    expect(request.headers.get("content-type")).toBe("application/x-protobuf");
    const spans = decodeOtlpTraces(request.body as Uint8Array);
    const byName = (name: string) => spans.find((span) => span.name === name)!;
    const root = byName("POST /chat");
    const block = byName("answer");
    expect(root).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID, traceState: "vendor=abc", kind: 2 });
    expect(block).toMatchObject({ kind: 1, parentSpanId: root.spanId });
    expect(byName("chat gpt-4o-mini")).toMatchObject({ kind: 3, parentSpanId: block.spanId });
    expect(byName("chat gpt-4o-mini").attributes).toMatchObject({ "gen_ai.usage.input_tokens": 3, "gen_ai.request.temperature": 0.5, "gen_ai.completion.0.content": "Teal" });
    expect(root.resource).toMatchObject({ "service.name": "chat-app" });
    expect(root.scope).toEqual({ name: "edge-tracer", version: "0.1.0" });
  });
});

describe("otlp()", () => {
  it("fails fast on a missing or non-http url", () => {
    expect(() => otlp({ url: "collector:4318" })).toThrow(/`url` must be the http\(s\) URL of a traces endpoint/);
  });
});
