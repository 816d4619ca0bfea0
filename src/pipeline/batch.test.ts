// buildBatch: the neutral batch every exporter gets, from a collector's records: outputs, raw values, scopes,
// totals, loose steps, and privacy (recordContent, redact) applied on the records.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resolveConfig, type RedactItem, type TracerConfig } from "../model/config.js";
import type { LlmCall, Operation } from "../model/records.js";
import type { Scope } from "../model/scope.js";
import { createCollector, type Collector } from "../record/collector.js";
import { resetWarnings } from "../util/warn.js";
import { buildBatch } from "./batch.js";

beforeEach(() => void vi.spyOn(console, "warn").mockImplementation(() => {}));
afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

const collector = (config: TracerConfig = {}) => createCollector(resolveConfig(config));
const batchOf = (c: Collector) => buildBatch(c, c.config);

/** An ended LLM step in `scope`: its answer `text` (none for embeddings), and any other call field. */
function llmStep(c: Collector, operation: Operation, text?: string, call: Partial<LlmCall> = {}, scope: Scope = c.root) {
  const step = c.startStep(scope, "llm", `${operation} m`)!;
  step.llm = {
    provider: "openai", operation, serverAddress: "api.openai.com", requestModel: "m", params: {}, streamed: false,
    choices: text === undefined ? [] : [{ index: 0, text, finishReason: "stop" }], ...call,
  };
  c.endStep(step, "ok");
  return step;
}

describe("a log's output", () => {
  it("takes the last chat or completion step's text when none is given, not an embeddings step's", () => {
    const c = collector();
    llmStep(c, "chat", "Teal");
    llmStep(c, "text_completion", "Otter");
    llmStep(c, "embeddings", undefined, { embeddings: { inputs: 1, dimension: 3 } });
    c.addLog(c.root, { input: "color and animal" });
    expect(batchOf(c).logs[0]!.output).toBe("Otter");
  });

  it("takes the tool calls an LLM step asked for when it answered with no text", () => {
    const c = collector();
    llmStep(c, "chat", "", { choices: [{ index: 0, text: "", toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }] }] });
    c.addLog(c.root, { input: "weather?" });
    expect(batchOf(c).logs[0]!.output).toBe('get_weather({"city":"Paris"})');
  });

  it("keeps the output given, and is null with neither an output nor an LLM step", () => {
    const c = collector();
    llmStep(c, "chat", "from the model");
    c.addLog(c.root, { input: "q", output: "given" });
    c.addLog(c.root, { input: "nothing to take" });
    expect(batchOf(c).logs.map((log) => log.output)).toEqual(["given", null]);
  });

  it("is null, with a warning, for a Promise output not settled at flush", () => {
    const c = collector();
    llmStep(c, "chat", "not taken: an output was given");
    c.addLog(c.root, { input: "q", output: new Promise(() => {}) });
    const [log] = batchOf(c).logs;
    expect(log!.output).toBeNull();
    expect(log!.metadata["edge_tracer.warnings"]).toEqual(["output: the promise had not settled when the flush deadline came, exported as null"]);
  });
});

describe("raw values", () => {
  it("sends raw_input and raw_output only for structured values, beside their text", () => {
    const c = collector();
    c.addLog(c.root, { input: { question: "hi" }, output: ["a", "b"] });
    c.addLog(c.root, { input: "text", output: "text" });
    const [structured, text] = batchOf(c).logs;
    expect(structured).toMatchObject({ input: '{"question":"hi"}', raw_input: { question: "hi" }, output: '["a","b"]', raw_output: ["a", "b"] });
    expect(text!.raw_input).toBeUndefined();
    expect(text!.raw_output).toBeUndefined();
  });

  it("sends no raw_output for an output taken from an LLM step", () => {
    const c = collector();
    llmStep(c, "chat", '{"looks":"like JSON"}');
    c.addLog(c.root, { input: "q" });
    expect(batchOf(c).logs[0]!.raw_output).toBeUndefined();
  });
});

describe("dropped steps", () => {
  it("reports the steps maxSteps refused on the last log, and counts them in the root's totals", () => {
    const c = collector({ maxSteps: 1 });
    llmStep(c, "chat", "kept");
    c.addLog(c.root, { input: "first", output: "a" });
    c.startStep(c.root, "custom", "refused");
    c.addLog(c.root, { input: "second", output: "b", steps: [{ name: "refused too" }] });
    const batch = batchOf(c);
    expect(batch.logs[0]!.metadata).not.toHaveProperty("edge_tracer.dropped_steps");
    expect(batch.logs[1]!.metadata["edge_tracer.dropped_steps"]).toBe(2);
    expect(batch.scopes[0]!.attributes["edge_tracer.invocation.steps"]).toBe(3);
  });
});

describe("scopes and totals", () => {
  it("exports the root continuing a remote parent, with the invocation's totals", () => {
    const parent = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1, traceState: "vendor=1" };
    const c = createCollector(resolveConfig({}), {}, true, parent);
    const first = llmStep(c, "chat", "a", { usage: { inputTokens: 10, outputTokens: 5 } });
    const second = llmStep(c, "embeddings", undefined, { usage: { inputTokens: 7 } });
    [first.startTime, first.endTime, second.startTime, second.endTime] = [1_000, 1_250.4, 2_000, 2_100];
    c.startStep(c.root, "custom", "tool");
    c.addLog(c.root, { input: "q" });
    const [root] = batchOf(c).scopes;
    expect(root).toMatchObject({ isRoot: true, name: "invocation", traceId: parent.traceId, parentSpanId: parent.spanId, traceState: "vendor=1" });
    expect(root!.attributes).toEqual({
      "edge_tracer.invocation.steps": 3,
      "edge_tracer.invocation.logs": 1,
      "edge_tracer.invocation.llm_calls": 2,
      "edge_tracer.invocation.input_tokens": 17,
      "edge_tracer.invocation.output_tokens": 5,
      "edge_tracer.invocation.llm_time_ms": 350,
    });
  });

  it("exports each tracer() block as a child span with the ids it sets", () => {
    const c = collector();
    const block = c.enterScope(c.root, { task_id: "t1", session_id: "s1" });
    const named = c.enterScope(block, { name: "retrieval" });
    c.leaveScope(named);
    const [, exportedBlock, exportedNamed] = batchOf(c).scopes;
    expect(exportedBlock).toMatchObject({ isRoot: false, name: "tracer", spanId: block.spanId, parentSpanId: c.root.spanId, attributes: { "phospho.task_id": "t1", "phospho.session_id": "s1" } });
    expect(exportedNamed).toMatchObject({ name: "retrieval", parentSpanId: block.spanId, attributes: {}, endTime: named.endTime });
  });

  it("parents a log and its LLM steps on their scope, manual steps on the log, numbered", () => {
    const c = collector({ environment: "prod", versionId: "v7" });
    const block = c.enterScope(c.root, {});
    const call = llmStep(c, "chat", "a", {}, block);
    c.addLog(block, { input: "q", steps: [{ name: "retrieve" }, { name: "rerank" }] });
    const [log] = batchOf(c).logs;
    expect(log).toMatchObject({ traceId: c.traceId, parentSpanId: block.spanId, environment: "prod", version_id: "v7" });
    expect(log!.steps.map((step) => [step.name, step.parentSpanId, step.index])).toEqual([
      [call.name, block.spanId, 0],
      ["retrieve", log!.spanId, 0],
      ["rerank", log!.spanId, 1],
    ]);
  });
});

describe("loose steps", () => {
  it("exports the steps of an invocation that logged nothing as loose, with its trace id (autoLog off)", () => {
    const c = collector({ autoLog: false });
    llmStep(c, "chat", "a");
    const open = c.startStep(c.root, "custom", "still open");
    const { logs, looseSteps } = batchOf(c);
    expect(logs).toEqual([]);
    expect(looseSteps.map((step) => [step.name, step.traceId, step.parentSpanId, step.index, step.status])).toEqual([
      ["chat m", c.traceId, c.root.spanId, 0, "ok"],
      ["still open", c.traceId, c.root.spanId, 1, "unfinished"],
    ]);
    expect(open!.status).toBe("open");
  });
});

describe("recordContent: false", () => {
  it("exports metadata, models, tokens and timings, but no prompt, answer or custom step content", () => {
    const c = collector({ recordContent: false });
    llmStep(c, "chat", "secret answer", { messages: [{ role: "user", content: "secret prompt" }], usage: { inputTokens: 3 } });
    const tool = c.startStep(c.root, "custom", "lookup")!;
    Object.assign(tool, { input: "secret query", output: "secret row", metadata: { table: "secret" } });
    c.endStep(tool, "ok");
    c.addLog(c.root, { input: { secret: "input" }, metadata: { plan: "pro" } });
    const batch = batchOf(c);
    expect(JSON.stringify(batch)).not.toContain("secret");
    const log = batch.logs[0]!;
    expect(log).toMatchObject({ input: "", output: null, raw_input: undefined, metadata: { plan: "pro", "edge_tracer.content_recorded": false } });
    expect(log.steps[0]!.llm).toMatchObject({ requestModel: "m", usage: { inputTokens: 3 }, choices: [{ index: 0, text: "", finishReason: "stop" }] });
  });
});

describe("redact", () => {
  it("sees an LLM step's structured messages, its provider, model and operation, and a log's output to be", () => {
    const seen: RedactItem[] = [];
    const c = collector({ redact: (item) => (seen.push(item), item) });
    llmStep(c, "chat", "Otter", { messages: [{ role: "user", content: "animal?" }], responseModel: "m-2024" });
    c.addLog(c.root, { input: "q" });
    batchOf(c);
    expect(seen).toEqual([
      { kind: "log", input: "q", output: "Otter", metadata: {} },
      { kind: "step", name: "chat m", input: [{ role: "user", content: "animal?" }], output: "Otter", provider: "openai", model: "m-2024", operation: "chat" },
    ]);
  });

  it("exports what the hook returns: rewritten messages and answer replace the call's content", () => {
    const c = collector({
      redact: (item) => item.kind === "step"
        ? { ...item, input: [{ role: "user", content: "[redacted]" }], output: "[redacted]" }
        : { ...item, input: String(item.input).replace(/\d{4}-\d{4}/, "****") },
    });
    llmStep(c, "chat", "card ok", { messages: [{ role: "user", content: "card 1234-5678" }] });
    c.addLog(c.root, { input: "card 1234-5678", output: "ok" });
    const batch = batchOf(c);
    expect(JSON.stringify(batch)).not.toContain("1234-5678");
    const [step] = batch.logs[0]!.steps;
    expect(batch.logs[0]!.input).toBe("card ****");
    expect(step!.llm).toMatchObject({ messages: [{ role: "user", content: "[redacted]" }], choices: [{ text: "[redacted]", finishReason: "stop" }] });
    expect(step!.outputText).toBe("[redacted]");
  });

  it("drops a log it returns null for, with its steps: they become neither loose nor another log's", () => {
    const c = collector({ redact: (item) => (item.kind === "log" && item.input === "drop" ? null : item) });
    llmStep(c, "chat", "answer to drop");
    c.addLog(c.root, { input: "drop" });
    c.addLog(c.root, { input: "keep", output: "k" });
    const batch = batchOf(c);
    expect(batch.logs.map((log) => [log.input, log.steps.length])).toEqual([["keep", 0]]);
    expect(batch.looseSteps).toEqual([]);
  });

  it("drops a step it returns null for, keeping its log", () => {
    const c = collector({ redact: (item) => (item.kind === "step" && item.name === "secret tool" ? null : item) });
    c.addLog(c.root, { input: "q", output: "a", steps: [{ name: "secret tool" }, { name: "public tool" }] });
    expect(batchOf(c).logs[0]!.steps.map((step) => step.name)).toEqual(["public tool"]);
  });
});
