// clipBatch: the one clipping pass. Every text field of the batch ends up within maxFieldBytes (plus the mark
// that says it was cut, with its original length); a log says which of its fields were cut.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../model/config.js";
import type { ExportBatch } from "../model/exporter.js";
import type { LlmCall } from "../model/records.js";
import { createCollector, type Collector } from "../record/collector.js";
import { resetWarnings } from "../util/warn.js";
import { buildBatch } from "./batch.js";
import { clipBatch } from "./clip.js";

beforeEach(() => void vi.spyOn(console, "warn").mockImplementation(() => {}));
afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

const MAX = 256;
const long = (char = "x", length = 1_000) => char.repeat(length);
const mark = (bytes: number) => `…[truncated by edge-tracer: ${bytes} bytes originally]`;
/** `text` cut to MAX bytes and marked once. */
const cut = (text: string) => `${text.slice(0, MAX)}${mark(text.length)}`;
const marks = (text: string | undefined) => text?.match(/truncated by edge-tracer/g)?.length ?? 0;

/** Records what `record` adds to a fresh collector, builds its batch and clips it to MAX. */
function clipped(record: (c: Collector) => void): ExportBatch {
  // No automatic log: the steps recorded here stay where the test reads them.
  const c = createCollector(resolveConfig({ autoLog: false }));
  record(c);
  const batch = buildBatch(c, c.config);
  clipBatch(batch, MAX);
  return batch;
}

/** An ended chat step with the given call fields. */
function chat(c: Collector, call: Partial<LlmCall>) {
  const step = c.startStep(c.root, "llm", "chat m")!;
  step.llm = { provider: "openai", operation: "chat", serverAddress: "api.openai.com", params: {}, streamed: false, choices: [], ...call };
  c.endStep(step, "ok");
  return step;
}

describe("a log", () => {
  it("bounds input and output once, marking the original length in bytes", () => {
    const [log] = clipped((c) => c.addLog(c.root, { input: long(), output: long("é", 300) })).logs;
    expect(log!.input).toBe(cut(long()));
    expect(log!.output).toBe(`${long("é", 128)}${mark(600)}`);
    expect(marks(log!.input)).toBe(1);
  });

  it("leaves text within the budget as it is, raw values included", () => {
    const [log] = clipped((c) => c.addLog(c.root, { input: { q: "short" }, output: "short" })).logs;
    expect(log).toMatchObject({ input: '{"q":"short"}', raw_input: { q: "short" }, output: "short" });
    expect(log!.metadata).not.toHaveProperty("edge_tracer.warnings");
  });

  it("lists a cut input and output in edge_tracer.warnings, after the log's own, and drops their raw values", () => {
    const [log] = clipped((c) => c.addLog(c.root, { input: { text: long() }, output: { text: long() }, metadata: "odd" as never })).logs;
    expect(log!.raw_input).toBeUndefined();
    expect(log!.raw_output).toBeUndefined();
    expect(log!.metadata["edge_tracer.warnings"]).toEqual([
      "metadata: not an object, kept under metadata.value",
      `input: longer than maxFieldBytes (${MAX}), truncated`,
      `output: longer than maxFieldBytes (${MAX}), truncated`,
    ]);
  });

  it("keeps the raw value of the field that was not cut", () => {
    const [log] = clipped((c) => c.addLog(c.root, { input: { q: "short" }, output: { text: long() } })).logs;
    expect(log!.raw_input).toEqual({ q: "short" });
    expect(log!.raw_output).toBeUndefined();
  });
});

describe("a step", () => {
  it("bounds a custom step's input, output and error message", () => {
    const { looseSteps: [step] } = clipped((c) => {
      const tool = c.startStep(c.root, "custom", "tool")!;
      Object.assign(tool, { input: long("i"), output: long("o") });
      c.endStep(tool, "error", new Error(long("e")));
    });
    expect(step).toMatchObject({ inputText: cut(long("i")), outputText: cut(long("o")), error: { type: "Error", message: cut(long("e")) } });
  });

  it("bounds an LLM call's choices, refusals, tool-call arguments, prompt and suffix", () => {
    const { looseSteps: [step] } = clipped((c) =>
      chat(c, {
        operation: "text_completion",
        prompt: long("p"),
        suffix: long("s"),
        choices: [
          { index: 0, text: long("t"), refusal: long("r") },
          { index: 1, text: "", toolCalls: [{ name: "search", arguments: long("a") }] },
        ],
      }),
    );
    const llm = step!.llm!;
    expect([llm.prompt, llm.suffix, llm.choices[0]!.text, llm.choices[0]!.refusal, llm.choices[1]!.toolCalls![0]!.arguments]).toEqual(
      [cut(long("p")), cut(long("s")), cut(long("t")), cut(long("r")), cut(long("a"))],
    );
    expect(step!.inputText).toBe(cut(long("p")));
    expect(step!.outputText).toBe(cut(long("t")));
  });

  it("bounds the steps of a log as well as loose ones", () => {
    const [log] = clipped((c) => {
      chat(c, { choices: [{ index: 0, text: long() }] });
      c.addLog(c.root, { input: "q", output: "a" });
    }).logs;
    expect(log!.steps[0]!.outputText).toBe(cut(long()));
  });
});

describe("a long chat history", () => {
  const history = (count: number, size: number) => Array.from({ length: count }, (_, i) => ({ role: "user", content: `${i}:`.padEnd(size, "m") }));

  it("keeps the latest messages that fit and says how many of the first were left out", () => {
    const messages = history(10, 60);
    const { looseSteps: [step] } = clipped((c) => chat(c, { messages }));
    expect(step!.messagesLeftOut).toBeGreaterThan(0);
    expect(step!.llm!.messages).toEqual(messages.slice(step!.messagesLeftOut));
    expect(JSON.stringify(step!.llm!.messages).length).toBeLessThanOrEqual(MAX);
    // The clipped inputText still starts from the first message.
    expect(step!.inputText!.startsWith('[{"role":"user","content":"0:')).toBe(true);
  });

  it("bounds the content of a latest message longer than the budget on its own", () => {
    const { looseSteps: [step] } = clipped((c) => chat(c, { messages: [{ role: "system", content: "be brief" }, { role: "user", content: long() }] }));
    expect(step!.messagesLeftOut).toBe(1);
    expect(step!.llm!.messages).toEqual([{ role: "user", content: cut(long()) }]);
  });

  it("bounds the content of a single message longer than the budget", () => {
    const { looseSteps: [step] } = clipped((c) => chat(c, { messages: [{ role: "user", content: long() }] }));
    expect(step!.messagesLeftOut).toBeUndefined();
    expect(step!.llm!.messages).toEqual([{ role: "user", content: cut(long()) }]);
  });

  it("leaves a short history whole", () => {
    const messages = history(2, 20);
    const { looseSteps: [step] } = clipped((c) => chat(c, { messages }));
    expect(step!.messagesLeftOut).toBeUndefined();
    expect(step!.llm!.messages).toEqual(messages);
  });
});

describe("metadata", () => {
  it("bounds the text values of a log's and a custom step's metadata, leaving other values as they are", () => {
    const batch = clipped((c) => {
      const step = c.startStep(c.root, "custom", "retrieve")!;
      step.metadata = { document: long("d"), hits: 3 };
      c.endStep(step, "ok");
      c.addLog(c.root, { input: "q", output: "a", metadata: { context: long("c"), plan: "pro", score: 0.5 } });
    });
    const log = batch.logs[0]!;
    expect(log.metadata).toMatchObject({ context: cut(long("c")), plan: "pro", score: 0.5 });
    expect(log.steps[0]!.metadata).toEqual({ document: cut(long("d")), hits: 3 });
  });
});
