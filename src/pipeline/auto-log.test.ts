// The automatic log: an invocation that called an LLM and logged nothing exports one log (every exporter sees it),
// built before privacy; `autoLog: false` turns it off.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../errors/config-error.js";
import { resolveConfig, type RedactItem, type TracerConfig } from "../model/config.js";
import type { LlmCall } from "../model/records.js";
import { createCollector, type Collector } from "../record/collector.js";
import { resetWarnings } from "../util/warn.js";
import { buildBatch } from "./batch.js";

beforeEach(() => void vi.spyOn(console, "warn").mockImplementation(() => {}));
afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

const collector = (config: TracerConfig = {}, name?: string) => createCollector(resolveConfig(config), name ? { name } : {});
const batchOf = (c: Collector) => buildBatch(c, c.config);

function call(c: Collector, llm: Partial<LlmCall>, scope = c.root) {
  const step = c.startStep(scope, "llm", "call")!;
  step.llm = { provider: "openai", operation: "chat", serverAddress: "api.openai.com", params: {}, streamed: false, choices: [], ...llm };
  c.endStep(step, "ok");
  return step;
}
const answer = (text: string) => [{ index: 0, text, finishReason: "stop" }];

describe("the automatic log", () => {
  it("logs the first call's last user message and the last answer, claiming every step", () => {
    const c = collector({}, "POST /api/chat");
    const block = c.enterScope(c.root, { name: "block", metadata: { team: "blue" } });
    call(c, { operation: "embeddings", embeddings: { inputs: 1 } });
    call(c, { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say a color" }, { role: "assistant", content: "Teal" }, { role: "user", content: "Another" }], choices: answer("Red") }, block);
    const tool = c.startStep(block, "custom", "lookup")!;
    c.endStep(tool, "ok");
    call(c, { messages: [{ role: "user", content: "And an animal?" }], choices: answer("Otter") });
    const { logs, looseSteps } = batchOf(c);
    expect(looseSteps).toEqual([]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ input: "Another", output: "Otter", metadata: { "edge_tracer.auto_log": true }, task_id: expect.stringMatching(/^task_/) });
    expect(logs[0]!.steps.map((step) => step.name)).toEqual(["call", "call", "lookup", "call"]);
  });

  it("takes the text parts of a message, a completion's prompt, else the invocation's name", () => {
    const parts = collector();
    call(parts, { messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: "https://x/y.png" } }] }], choices: answer("A cat") });
    expect(batchOf(parts).logs[0]).toMatchObject({ input: "What is this?", output: "A cat" });

    const completion = collector();
    call(completion, { operation: "text_completion", prompt: "def add(a, b):", choices: answer(" return a + b") });
    expect(batchOf(completion).logs[0]!.input).toBe("def add(a, b):");

    const named = collector({}, "POST /api/embed");
    call(named, { operation: "embeddings", embeddings: { inputs: 2 } });
    expect(batchOf(named).logs[0]).toMatchObject({ input: "POST /api/embed", output: null });
  });

  it("takes the block's ids and metadata of the invocation's root", () => {
    const c = createCollector(resolveConfig({}), { task_id: "task_root", session_id: "s1", metadata: { route: "/" } });
    call(c, { messages: [{ role: "user", content: "hi" }], choices: answer("hello") });
    expect(batchOf(c).logs[0]).toMatchObject({ task_id: "task_root", session_id: "s1", metadata: { route: "/", "edge_tracer.auto_log": true } });
  });

  it("is not made when the invocation logged, called no LLM, or autoLog is false", () => {
    const logged = collector();
    call(logged, { choices: answer("a") });
    logged.addLog(logged.root, { input: "mine" });
    expect(batchOf(logged).logs.map((log) => log.input)).toEqual(["mine"]);

    const noLlm = collector();
    noLlm.endStep(noLlm.startStep(noLlm.root, "custom", "db")!, "ok");
    expect(batchOf(noLlm)).toMatchObject({ logs: [], looseSteps: [{ name: "db" }] });

    const off = collector({ autoLog: false });
    call(off, { choices: answer("a") });
    expect(batchOf(off)).toMatchObject({ logs: [], looseSteps: [{ name: "call" }] });
  });

  it("goes through privacy: redact sees it and recordContent: false strips it", () => {
    const seen: RedactItem[] = [];
    const redacted = collector({ redact: (item) => (seen.push(item), item.kind === "log" ? { ...item, input: "[redacted]" } : item) });
    call(redacted, { messages: [{ role: "user", content: "my card 1234" }], choices: answer("ok") });
    expect(batchOf(redacted).logs[0]!.input).toBe("[redacted]");
    expect(seen[0]).toEqual({ kind: "log", input: "my card 1234", output: "ok", metadata: { "edge_tracer.auto_log": true } });

    const stripped = collector({ recordContent: false });
    call(stripped, { messages: [{ role: "user", content: "secret" }], choices: answer("secret answer") });
    expect(JSON.stringify(batchOf(stripped).logs)).not.toContain("secret");
  });
});

describe("the autoLog option", () => {
  it("is on by default, and takes a boolean or a Workers var spelling one", () => {
    expect(resolveConfig({}).autoLog).toBe(true);
    expect(resolveConfig({ autoLog: false }).autoLog).toBe(false);
    expect(resolveConfig({ autoLog: "false" as never }).autoLog).toBe(false);
  });

  it("refuses anything else, naming the field and the fix", () => {
    let error: unknown;
    try {
      resolveConfig({ autoLog: "no" as never });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe("autoLog");
    expect((error as Error).message).toMatch(/`autoLog` is invalid \(got "no"\)\. Fix: pass true or false/);
  });
});
