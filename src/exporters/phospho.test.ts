// phospho's span attributes, checked against the model of its server (test/phospho-server): user keys that collide,
// digit-only keys, an OpenTelemetry span's own attributes, each fact written once, and every span stored.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { capturePhospho } from "../../test/phospho-server/capture.js";
import { checkV3Otl, phosphoProblems } from "../../test/phospho-server/model.js";
import { resolveConfig, type TracerConfig } from "../model/config.js";
import type { ExportBatch } from "../model/exporter.js";
import type { LlmCall } from "../model/records.js";
import { buildBatch } from "../pipeline/batch.js";
import { clipBatch } from "../pipeline/clip.js";
import { createCollector, type Collector } from "../record/collector.js";
import { resetWarnings } from "../util/warn.js";
import { phosphoExporter } from "./phospho.js";
import { toSpan } from "./spans.js";

beforeEach(() => void vi.spyOn(console, "warn").mockImplementation(() => {}));
afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

const collector = (config: TracerConfig = {}) => createCollector(resolveConfig(config));

function batchOf(c: Collector): ExportBatch {
  const batch = buildBatch(c, c.config);
  clipBatch(batch, c.config.maxFieldBytes);
  return batch;
}

/** Exports `batch` to a capturing phospho; returns what the server model stores and finds. */
async function exported(batch: ExportBatch) {
  const capture = capturePhospho();
  await phosphoExporter({ apiKey: "k", projectId: "p", baseUrl: "https://phospho.test" })
    .export(batch, { signal: new AbortController().signal, deadline: Date.now() + 5_000, fetch: capture.fetch });
  const traces = capture.requests.find((request) => request.path === "/v3/otl/p");
  const stored = traces ? checkV3Otl(traces.body).stored : [];
  return { summary: phosphoProblems(capture.requests), stored, events: capture.events(), byName: (name: string) => stored.find((span) => span.name === name)! };
}

function chat(c: Collector, call: Partial<LlmCall> = {}) {
  const step = c.startStep(c.root, "llm", "chat")!;
  step.llm = {
    provider: "openai", operation: "chat", serverAddress: "api.openai.com", requestModel: "gpt-4o-mini", params: {}, streamed: false,
    messages: [{ role: "user", content: "Say a color" }], choices: [{ index: 0, text: "Teal", finishReason: "stop" }], ...call,
  };
  c.endStep(step, "ok");
  return step;
}

function custom(c: Collector, name: string, metadata: Record<string, unknown>, fields: { input?: unknown; output?: unknown } = {}) {
  const step = c.startStep(c.root, "custom", name)!;
  Object.assign(step, { metadata, ...fields });
  c.endStep(step, "ok");
  return step;
}

const keysOf = (attributes: unknown) => Object.keys(attributes as object);

describe("phospho span attributes", () => {
  it("keeps colliding log metadata keys, the leaf renamed `_value`", async () => {
    const c = collector();
    chat(c);
    c.addLog(c.root, { input: "q", metadata: { user: "bob", "user.tier": "pro", "0": "zero", nested: { "1": "one" } } });
    const { summary, stored } = await exported(batchOf(c));
    expect(summary.problems).toEqual([]);
    expect(stored[0]!.metadata).toMatchObject({ user: { _value: "bob", tier: "pro" }, _0: "zero", nested: { _1: "one" } });
  });

  it("writes a custom step's metadata once, under gen_ai.metadata, whatever its keys", async () => {
    const c = collector();
    custom(c, "retrieve", { gen_ai: "mine", "gen_ai.system": "also mine", phospho: "p", "db.system": "postgresql", "db.system.name": "postgresql", "0": "zero" }, { input: "q", output: "rows" });
    c.addLog(c.root, { input: "q", output: "a" });
    const { summary, byName } = await exported(batchOf(c));
    expect(summary).toMatchObject({ problems: [], spansLost: 0, eventsRefused: 0 });
    const span = byName("retrieve");
    expect(span.attributes).toEqual({
      edge_tracer: { step: { kind: "custom" } },
      gen_ai: {
        name: "retrieve", input: "q", output: "rows",
        metadata: { gen_ai: { _value: "mine", system: "also mine" }, phospho: "p", db: { system: { _value: "postgresql", name: "postgresql" } }, _0: "zero" },
      },
      phospho: { task_id: expect.any(String), session_id: expect.any(String) },
    });
    expect(span.metadata).toBeNull();
  });

  it("maps an AI SDK span without filling phospho's own gen_ai names from it", async () => {
    const c = collector();
    custom(c, "ai.generateText.doGenerate", {
      "operation.name": "ai.generateText.doGenerate my-fn", "ai.operationId": "ai.generateText.doGenerate", "ai.model.id": "gpt-4o-mini",
      "gen_ai.system": "openai.chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 3, "ai.prompt.messages": "[]",
    });
    chat(c);
    c.addLog(c.root, { input: "q" });
    const batch = batchOf(c);
    const { summary, byName } = await exported(batch);
    expect(summary.problems).toEqual([]);
    const attributes = byName("ai.generateText.doGenerate").attributes as Record<string, any>;
    expect(keysOf(attributes).sort()).toEqual(["edge_tracer", "gen_ai", "phospho"]);
    expect(keysOf(attributes.gen_ai).sort()).toEqual(["metadata", "name"]);
    expect(attributes.gen_ai.metadata).toEqual({
      operation: { name: "ai.generateText.doGenerate my-fn" }, ai: { operationId: "ai.generateText.doGenerate", model: { id: "gpt-4o-mini" }, prompt: { messages: "[]" } },
      gen_ai: { system: "openai.chat", request: { model: "gpt-4o-mini" }, usage: { input_tokens: "3" } },
    });
    // The LLM call keeps the attributes every span exporter writes, plus the links.
    const llm = batch.logs[0]!.steps.find((step) => step.llm)!;
    const sent = byName("chat gpt-4o-mini").attributes as Record<string, any>;
    expect(sent.gen_ai.operation.name).toBe("chat");
    expect(keysOf(toSpan(llm, "both").attributes).every((key) => key.split(".")[0]! in sent)).toBe(true);
  });

  it("maps a manual step's extra fields to gen_ai.<field> as phospho's SDK does, digit keys renamed", async () => {
    const c = collector();
    chat(c);
    c.addLog(c.root, { input: "q", steps: [{ name: "rerank", input: "3 docs", output: "1 doc", "1": "one", "gen_ai.1": "x", kept: 2, meta: { source: "kb" } }] });
    const batch = batchOf(c);
    const taskId = batch.logs[0]!.task_id;
    const { summary, byName } = await exported(batch);
    expect(summary.problems).toEqual([]);
    expect(byName(`phospho.${taskId}_intermediate_0`).attributes).toMatchObject({
      gen_ai: { name: "rerank", input: "3 docs", output: "1 doc", _1: "one", gen_ai: { _1: "x" }, kept: "2", meta: { source: "kb" } },
    });
  });

  it("gives every span a gen_ai attribute, a task, a string session and object metadata", async () => {
    const c = collector();
    chat(c, { operation: "generic", messages: undefined, choices: [] });
    custom(c, "bare", {});
    c.addLog(c.root, { input: "q", output: "a", metadata: { plan: "pro" } });
    const { summary, stored } = await exported(batchOf(c));
    expect(summary).toMatchObject({ spansStored: 2, spansLost: 0, taskViewsFailing: {}, problems: [] });
    for (const span of stored) expect(span).toMatchObject({ taskId: expect.any(String), sessionId: expect.any(String), metadata: { plan: "pro" } });
  });

  it("sends no span for a step no log claimed: phospho shows steps under a task only", async () => {
    const c = collector();
    custom(c, "lonely", { "db.system": "d1" });
    const batch = batchOf(c);
    expect(batch.looseSteps).toHaveLength(1);
    const { summary } = await exported(batch);
    expect(summary.requests).toBe(0);
  });

  it("leaves nothing at top level that a random set of user keys could break", async () => {
    const parts = ["a", "b", "0", "1", "gen_ai", "phospho", "metadata", "_value", "_0", "name", "²", ""];
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 48271) % 2147483647) % n);
    for (let round = 0; round < 40; round++) {
      const record = () => Object.fromEntries(Array.from({ length: 1 + random(6) }, (_, i) => [
        Array.from({ length: 1 + random(3) }, () => parts[random(parts.length)]).join("."), i % 3 ? `v${i}` : i,
      ]));
      const c = collector();
      chat(c);
      custom(c, "tool", record());
      c.addLog(c.root, { input: "q", metadata: record(), steps: [{ name: "manual", ...record() }] });
      const { summary } = await exported(batchOf(c));
      expect(summary.problems).toEqual([]);
      expect(summary.spansStored).toBe(3);
    }
  });
});
