// createCollector: what one invocation records of its logs, steps and scopes, as the exported batch will show it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resolveConfig, type TracerConfig } from "../model/config.js";
import { resetWarnings } from "../util/warn.js";
import { createCollector } from "./collector.js";

beforeEach(() => void vi.spyOn(console, "warn").mockImplementation(() => {}));
afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

const collector = (config: TracerConfig = {}) => createCollector(resolveConfig(config));
/** Lets the collector's promise callbacks run. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("addLog: values", () => {
  it("snapshots input, output and metadata: later mutation of the user's objects does not leak in", () => {
    const c = collector();
    const input = { question: "hi", tags: ["a"] };
    const output = { answer: "hello" };
    const metadata = { plan: "free" };
    c.addLog(c.root, { input, output, metadata });
    input.question = "changed";
    input.tags.push("b");
    output.answer = "changed";
    metadata.plan = "pro";
    expect(c.logs[0]).toMatchObject({ input: { question: "hi", tags: ["a"] }, output: { answer: "hello" }, metadata: { plan: "free" } });
  });

  it("keeps user_id, version_id and flag, and knows whether an output was given", () => {
    const c = collector();
    c.addLog(c.root, { input: "q", output: "a", user_id: "u1", version_id: "v2", flag: "success" });
    c.addLog(c.root, { input: "q" });
    expect(c.logs[0]).toMatchObject({ userId: "u1", versionId: "v2", flag: "success", outputGiven: true });
    expect(c.logs[1]).toMatchObject({ output: undefined, outputGiven: false });
  });
});

describe("addLog: ids and metadata from scopes", () => {
  it("inherits task_id and session_id from the nearest scope that sets them; the log's own win", () => {
    const c = collector();
    const outer = c.enterScope(c.root, { task_id: "t-outer", session_id: "s-outer" });
    const inner = c.enterScope(outer, { task_id: "t-inner" });
    expect(c.addLog(inner, { input: "q" })).toEqual({ task_id: "t-inner", session_id: "s-outer" });
    expect(c.addLog(inner, { input: "q", task_id: "t-own", session_id: "s-own" })).toEqual({ task_id: "t-own", session_id: "s-own" });
  });

  it("gives each log a new task id and every log of the invocation one session id when none is set", () => {
    const c = collector();
    const first = c.addLog(c.root, { input: "1" });
    const second = c.addLog(c.root, { input: "2" });
    expect(first.task_id).toMatch(/^task_[0-9a-f]{32}$/);
    expect(second.task_id).not.toBe(first.task_id);
    expect(second.session_id).toBe(first.session_id);
    const other = collector();
    expect(other.addLog(other.root, { input: "another invocation" }).session_id).not.toBe(first.session_id);
  });

  it("turns a numeric id into text and replaces an empty one", () => {
    const c = collector();
    const ids = c.addLog(c.root, { input: "q", task_id: 42 as unknown as string, session_id: "" });
    expect(ids.task_id).toBe("42");
    expect(ids.session_id).toMatch(/^session_/);
  });

  it("merges metadata outward-in: inner scopes win, the log's own metadata wins over all", () => {
    const c = collector();
    const outer = c.enterScope(c.root, { metadata: { user: "bob", plan: "free", region: "eu" } });
    const inner = c.enterScope(outer, { metadata: { plan: "pro" } });
    c.addLog(inner, { input: "q", metadata: { region: "us" } });
    expect(c.logs[0]!.metadata).toEqual({ user: "bob", plan: "pro", region: "us" });
  });
});

describe("addLog: problems", () => {
  const problemsOf = (given: unknown) => {
    const c = collector();
    c.addLog(c.root, given as never);
    return { log: c.logs[0]!, problems: c.logs[0]!.problems.join("\n") };
  };

  it("keeps a non-object log as the input and says so", () => {
    const { log, problems } = problemsOf("just text");
    expect(log.input).toBe("just text");
    expect(problems).toMatch(/log\(\) takes an object.*the string given was used as the input/);
  });

  it("replaces a circular reference and a BigInt, listing both", () => {
    const input: Record<string, unknown> = { n: 10n };
    input.self = input;
    const { log, problems } = problemsOf({ input, output: "a" });
    expect(log.input).toEqual({ n: "10", self: "[Circular]" });
    expect(problems).toContain('input.self: circular reference replaced by "[Circular]"');
    expect(problems).toContain("input.n: BigInt kept as a string");
  });

  it("lists a missing input and keeps metadata that is not an object under metadata.value", () => {
    const { log, problems } = problemsOf({ output: "a", metadata: "not an object" });
    expect(log.metadata).toEqual({ value: "not an object" });
    expect(problems).toContain("input: missing, exported as an empty string");
    expect(problems).toContain("metadata: not an object, kept under metadata.value");
  });

  it("lists nothing for a well-formed log", () => {
    expect(problemsOf({ input: "q", output: "a", metadata: { k: 1 } }).log.problems).toEqual([]);
  });
});

describe("addLog: manual steps", () => {
  it("records each given step as an ended step of the log, its extra fields as metadata", () => {
    const c = collector();
    c.addLog(c.root, { input: "q", steps: [{ name: "retrieve", input: "q", output: ["doc"], score: 0.9 }, { name: undefined as unknown as string }] });
    const [retrieve, unnamed] = c.logs[0]!.steps;
    expect(retrieve).toMatchObject({ kind: "manual", name: "retrieve", status: "ok", input: "q", output: ["doc"], metadata: { score: 0.9 } });
    expect(unnamed).toMatchObject({ kind: "manual", name: "step 2", status: "ok" });
  });
});

describe("addLog: linking", () => {
  it("claims the steps its scope started before it, not the later ones", () => {
    const c = collector();
    c.startStep(c.root, "llm", "before");
    c.addLog(c.root, { input: "q" });
    c.startStep(c.root, "llm", "after");
    expect(c.logs[0]!.steps.map((step) => step.name)).toEqual(["before"]);
    expect(c.steps[1]!.claimedBy).toBeUndefined();
  });

  it("waits for later LLM calls only when written without output before any LLM call of its own", () => {
    const c = collector();
    c.addLog(c.root, { input: "lazy stream" });
    c.addLog(c.root, { input: "answered", output: "a" });
    c.startStep(c.root, "custom", "tool");
    c.addLog(c.root, { input: "after a custom step" });
    c.startStep(c.root, "llm", "call");
    c.addLog(c.root, { input: "after an LLM call" });
    expect(c.logs.map((log) => log.waitsForLaterSteps)).toEqual([true, false, true, false]);
  });
});

describe("maxSteps", () => {
  it("refuses steps past maxSteps and counts them, manual steps included", () => {
    const c = collector({ maxSteps: 2 });
    expect(c.startStep(c.root, "custom", "one")).toBeDefined();
    c.addLog(c.root, { input: "q", steps: [{ name: "two" }, { name: "three" }] });
    expect(c.startStep(c.root, "llm", "four")).toBeUndefined();
    expect(c.steps.map((step) => step.name)).toEqual(["one", "two"]);
    expect(c.droppedSteps).toBe(2);
    expect(c.logs[0]!.steps.map((step) => step.name)).toEqual(["one", "two"]);
  });
});

describe("endStep", () => {
  it("closes a step once: a later end does not change its status, time or error", () => {
    const c = collector();
    const step = c.startStep(c.root, "custom", "work")!;
    c.endStep(step, "ok");
    const endTime = step.endTime;
    c.endStep(step, "error", new Error("too late"));
    expect(step).toMatchObject({ status: "ok", endTime });
    expect(step.error).toBeUndefined();
  });

  it("keeps an error's type and message, and any thrown value as text", () => {
    const c = collector();
    const typed = c.startStep(c.root, "custom", "a")!;
    const text = c.startStep(c.root, "custom", "b")!;
    c.endStep(typed, "error", new TypeError("bad input"));
    c.endStep(text, "error", "plain failure");
    expect(typed.error).toEqual({ type: "TypeError", message: "bad input" });
    expect(text.error).toEqual({ type: "Error", message: "plain failure" });
  });
});

describe("closeUnfinished", () => {
  it("marks only the steps still open as unfinished, with an end time", () => {
    const c = collector();
    const done = c.startStep(c.root, "custom", "done")!;
    const open = c.startStep(c.root, "llm", "stream")!;
    c.endStep(done, "ok");
    c.closeUnfinished();
    expect(done.status).toBe("ok");
    expect(open.status).toBe("unfinished");
    expect(open.endTime).toBeGreaterThanOrEqual(open.startTime);
  });
});

describe("pending", () => {
  it("tracks an open step until it ends", async () => {
    const c = collector();
    const step = c.startStep(c.root, "llm", "call")!;
    expect(c.pending.size).toBe(1);
    c.endStep(step, "ok");
    await tick();
    expect(c.pending.size).toBe(0);
  });

  it("tracks an output given as a Promise, then keeps a snapshot of its value", async () => {
    const c = collector();
    let resolve!: (value: unknown) => void;
    c.addLog(c.root, { input: "q", output: new Promise((r) => (resolve = r)) });
    expect(c.pending.size).toBe(1);
    const value = { answer: 42 };
    resolve(value);
    await tick();
    value.answer = 0;
    expect(c.pending.size).toBe(0);
    expect(c.logs[0]!.output).toEqual({ answer: 42 });
  });

  it("exports a rejected output as null and says why", async () => {
    const c = collector();
    c.addLog(c.root, { input: "q", output: Promise.reject(new Error("model down")) });
    await tick();
    expect(c.pending.size).toBe(0);
    expect(c.logs[0]!.output).toBeNull();
    expect(c.logs[0]!.problems).toContain("output: the promise rejected (Error: model down), exported as null");
  });
});

describe("keepOpenUntil", () => {
  it("keeps the invocation pending until the promise settles, resolved or rejected", async () => {
    const c = collector();
    let finish!: () => void;
    c.keepOpenUntil(new Promise<void>((resolve) => (finish = resolve)));
    c.keepOpenUntil(Promise.reject(new Error("body read failed")));
    expect(c.pending.size).toBe(2);
    await tick();
    expect(c.pending.size).toBe(1);
    finish();
    await tick();
    expect(c.pending.size).toBe(0);
  });
});

describe("scopes", () => {
  it("names the innermost open tracer() block, or the root, as where root-handle calls belong", () => {
    const c = collector();
    expect(c.innermostScope()).toBe(c.root);
    const outer = c.enterScope(c.root, { name: "outer" });
    const inner = c.enterScope(outer, { name: "inner" });
    expect(c.innermostScope()).toBe(inner);
    c.leaveScope(outer);
    expect(c.innermostScope()).toBe(inner);
    c.leaveScope(inner);
    expect(c.innermostScope()).toBe(c.root);
  });

  it("lists every scope entered, root first, each with its end time once left", () => {
    const c = collector();
    const block = c.enterScope(c.root, { name: "block" });
    expect(block.parent).toBe(c.root);
    c.leaveScope(block);
    expect(c.scopes).toEqual([c.root, block]);
    expect(block.endTime).toBeGreaterThanOrEqual(block.startTime);
    expect(c.root.endTime).toBeUndefined();
  });
});
