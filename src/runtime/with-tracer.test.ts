// withTracer and flush: when the flush runs, what it waits for, and that the tracer never breaks the handler.
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { createTracer, log, withTracer, type ExportResult, type TracerConfig } from "../index.js";
import { resetWarnings } from "../util/warn.js";

afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

describe("withTracer", () => {
  it("returns what the handler returns and hands the flush to waitUntil", async () => {
    const memory = memoryExporter();
    const waited: Promise<unknown>[] = [];
    const result = await withTracer({ waitUntil: (promise) => waited.push(promise) }, (t) => {
      t.log({ input: "q", output: "a" });
      return "handler result";
    }, { exporters: [memory] });
    expect(result).toBe("handler result");
    expect(waited).toHaveLength(1);
    const flushed = (await waited[0]) as ExportResult;
    expect(flushed).toEqual({ sent: 1, retried: 0, dropped: 0, errors: [] });
    expect(memory.batches[0]!.logs[0]).toMatchObject({ input: "q", output: "a" });
  });

  it("rethrows the handler's error and still flushes what it logged", async () => {
    const memory = memoryExporter();
    const failure = new Error("handler failed");
    await expect(
      withTracer(undefined, (t) => {
        t.log({ input: "before the failure", output: "-" });
        throw failure;
      }, { exporters: [memory] }),
    ).rejects.toBe(failure);
    expect(memory.batches[0]!.logs[0]!.input).toBe("before the failure");
  });

  it("awaits the flush before returning where there is no waitUntil", async () => {
    let exported = false;
    const slow = { name: "slow", export: async () => (await new Promise((r) => setTimeout(r, 30)), (exported = true), { sent: 1, retried: 0, dropped: 0, errors: [] }) };
    await withTracer({}, (t) => t.log({ input: "q", output: "a" }), { exporters: [slow] });
    expect(exported).toBe(true);
  });

  it("exports a step still open at the deadline as unfinished, never drops it", async () => {
    const memory = memoryExporter();
    const tracer = createTracer({ exporters: [memory], flushTimeoutMs: 200 });
    const invocation = tracer.startInvocation();
    void invocation.step("never ends", () => new Promise(() => {}));
    invocation.log({ input: "q", output: "a" });
    const started = Date.now();
    await invocation.flush();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(memory.batches[0]!.logs[0]!.steps[0]).toMatchObject({ name: "never ends", status: "unfinished" });
  });

  it("reports an exporter that throws, without throwing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const broken = { name: "broken", export: async () => { throw new Error("sink down"); } };
    const invocation = createTracer({ exporters: [broken] }).startInvocation();
    invocation.log({ input: "q", output: "a" });
    const flushed = await invocation.flush();
    expect(flushed.errors).toEqual([{ destination: "broken", reason: "Error: sink down", count: 1, retryable: false }]);
    expect(flushed.dropped).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain("broken: 1 not delivered (Error: sink down)");
  });
});

describe("custom steps", () => {
  it("records input, output and duration, and returns what the function returns", async () => {
    const memory = memoryExporter();
    const value = await withTracer(undefined, async (t) => {
      const docs = await t.step("retrieve", async () => ["doc1", "doc2"], { input: "query", metadata: { index: "faq" } });
      t.log({ input: "q", output: "a" });
      return docs;
    }, { exporters: [memory] });
    expect(value).toEqual(["doc1", "doc2"]);
    expect(memory.batches[0]!.logs[0]!.steps[0]).toMatchObject({ name: "retrieve", kind: "custom", status: "ok", inputText: "query", outputText: '["doc1","doc2"]', metadata: { index: "faq" } });
  });

  it("records a failing step as an error and rethrows the same error", async () => {
    const memory = memoryExporter();
    const failure = new TypeError("tool broke");
    await withTracer(undefined, async (t) => {
      await expect(t.step("tool", async () => { throw failure; })).rejects.toBe(failure);
      expect(() => t.step("sync tool", () => { throw failure; })).toThrow(failure);
    }, { exporters: [memory] });
    const steps = memory.batches[0]!.looseSteps;
    expect(steps.map((step) => [step.name, step.status, step.error])).toEqual([
      ["tool", "error", { type: "TypeError", message: "tool broke" }],
      ["sync tool", "error", { type: "TypeError", message: "tool broke" }],
    ]);
  });
});

describe("bad input", () => {
  it("never throws on circular objects, BigInt, functions or a missing input: warns once and exports what it can", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const memory = memoryExporter();
    const circular: Record<string, unknown> = { name: "loop" };
    circular.self = circular;
    await withTracer(undefined, (t) => {
      t.log({ input: circular, output: 10n, metadata: { fn: () => 1 } });
      t.log({} as never);
      t.log(undefined as never);
    }, { exporters: [memory] });
    const [first, second, third] = memory.batches[0]!.logs;
    expect(first!.input).toBe('{"name":"loop","self":"[Circular]"}');
    expect(first!.raw_input).toEqual({ name: "loop", self: "[Circular]" });
    expect(first!.output).toBe("10");
    expect(first!.metadata["edge_tracer.warnings"]).toEqual([
      "input.self: circular reference replaced by \"[Circular]\"",
      "output: BigInt kept as a string",
      "metadata.fn: a function cannot be serialized, kept as its name",
    ]);
    expect(second!.input).toBe("");
    expect(second!.metadata["edge_tracer.warnings"]).toEqual(["input: missing, exported as an empty string"]);
    expect(third!.input).toBe("");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain("edge_tracer.warnings");
  });

  it("caps 10,000 steps at maxSteps and counts the rest on the log", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const memory = memoryExporter();
    await withTracer(undefined, (t) => {
      for (let i = 0; i < 10_000; i++) t.step(`step ${i}`, () => i);
      t.log({ input: "q", output: "a" });
    }, { exporters: [memory] });
    const [log] = memory.batches[0]!.logs;
    expect(log!.steps).toHaveLength(1_000);
    expect(log!.metadata["edge_tracer.dropped_steps"]).toBe(9_000);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain("maxSteps");
  });

  it("snapshots values at log time: later mutation does not leak into the trace", async () => {
    const memory = memoryExporter();
    const messages = [{ role: "user", content: "hi" }];
    await withTracer(undefined, (t) => {
      t.log({ input: messages, output: "hello" });
      messages.push({ role: "assistant", content: "hello" });
    }, { exporters: [memory] });
    expect(memory.batches[0]!.logs[0]!.raw_input).toEqual([{ role: "user", content: "hi" }]);
  });

  it("truncates a huge field to maxFieldBytes and says so with the original length", async () => {
    const memory = memoryExporter();
    await withTracer(undefined, (t) => t.log({ input: "x".repeat(5_000), output: "a" }), { exporters: [memory], maxFieldBytes: 1_000 });
    const [entry] = memory.batches[0]!.logs;
    expect(entry!.input.startsWith("x".repeat(1_000))).toBe(true);
    expect(entry!.input).toContain("truncated by edge-tracer: 5000 bytes originally");
    expect(entry!.metadata["edge_tracer.warnings"]).toEqual(["input: longer than maxFieldBytes (1000), truncated"]);
  });
});

describe("module-level log() without AsyncLocalStorage", () => {
  it("warns once, clearly, and exports the event unlinked with the next flush", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const memory = memoryExporter();
    expect(log({ input: "orphan 1", output: "o" }).task_id).toMatch(/^task_/);
    log({ input: "orphan 2", output: "o" });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/cannot tell which request.*asyncLocalStorage/s);
    await withTracer(undefined, (t) => t.log({ input: "own", output: "x" }), { exporters: [memory] });
    expect(memory.batches[0]!.logs.map((entry) => entry.input)).toEqual(["own", "orphan 1", "orphan 2"]);
    // Orphans are their own logs: the invocation's log did not absorb them.
    expect(memory.batches[0]!.logs[0]!.steps).toEqual([]);
  });

  it("keeps a log made after its invocation's flush for the next flush, and says so", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const memory = memoryExporter();
    const tracer = createTracer({ exporters: [memory] });
    const first = tracer.startInvocation();
    first.log({ input: "in time", output: "a" });
    await first.flush();
    first.log({ input: "too late", output: "b" });
    expect(String(warn.mock.calls[0]![0])).toContain("after its invocation's flush began");
    const second = tracer.startInvocation();
    second.log({ input: "next", output: "c" });
    await second.flush();
    expect(memory.batches.map((batch) => batch.logs.map((entry) => entry.input))).toEqual([["in time"], ["next", "too late"]]);
  });
});

describe("a long chat history", () => {
  it("keeps the latest messages that fit in maxFieldBytes, and says how many were left out", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json({ choices: [{ index: 0, message: { content: "ok" } }] }));
    const memory = memoryExporter();
    const messages = Array.from({ length: 50 }, (_, i) => ({ role: "user", content: `${i}:${"x".repeat(500)}` }));
    await withTracer(undefined, async (t) => {
      await t.fetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: JSON.stringify({ model: "m", messages }) });
      t.log({ input: "q" });
    }, { exporters: [memory], maxFieldBytes: 4_096 });
    const step = memory.batches[0]!.logs[0]!.steps[0]!;
    const llm = step.llm!;
    const kept = llm.messages as { content: string }[];
    expect(kept.length).toBeLessThan(50);
    expect(kept.at(-1)!.content.startsWith("49:")).toBe(true);
    // Said on the step itself (the OTLP exporters write it as `edge_tracer.messages_left_out`), not among the request params.
    expect(step.messagesLeftOut).toBe(50 - kept.length);
    expect(llm.params).not.toHaveProperty("edge_tracer.messages_left_out");
    expect(JSON.stringify(kept).length).toBeLessThan(4_096 + 600);
  });
});

describe("a config literal written in the handler", () => {
  it("is validated once while its values stay the same, and again when they change", async () => {
    const configs = new Set<unknown>();
    // As in `withTracer(ctx, fn, { versionId: env.VERSION })`: a new object per request, with the same values.
    const handle = (version: string) => withTracer({}, (t) => void configs.add(t.collector.config), { versionId: version, serviceName: "svc" });
    await handle("v1");
    await handle("v1");
    expect(configs.size).toBe(1);
    await handle("v2");
    expect(configs.size).toBe(2);
  });

  it("is validated once per distinct content, arrays and nested objects included", async () => {
    const configs = new Set<unknown>();
    const providers = () => [{ baseUrl: "https://gateway.example/v1", kind: "openai" }];
    const handle = (kind: string) =>
      withTracer({}, (t) => void configs.add(t.collector.config), { providers: [{ baseUrl: "https://gateway.example/v1", kind }], keep: { finishReasons: ["length"] } });
    await handle("openai");
    await handle("openai");
    expect(configs.size).toBe(1);
    await handle("mistral");
    await handle("openai");
    expect(configs.size).toBe(2);
    expect(providers()[0]!.kind).toBe("openai");
  });

  it("runs the request untraced when the config is wrong, and says so once", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const memory = memoryExporter();
    for (let i = 0; i < 3; i++) {
      const answer = await withTracer({}, (t) => (t.log({ input: "q", output: "a" }), "answered"), { exporters: [memory], maxSteps: "many" as unknown as number });
      expect(answer).toBe("answered");
    }
    expect(memory.batches).toEqual([]);
    expect(error).toHaveBeenCalledTimes(1);
    expect(String(error.mock.calls[0]![0])).toMatch(/tracing is off.*`maxSteps` is invalid \(got "many"\)\. Fix: pass a positive whole number/s);
  });

  it("takes numbers and booleans written as strings, as Workers vars are", async () => {
    const memory = memoryExporter();
    const config = { exporters: [memory], flushTimeoutMs: "5000", maxSteps: "2", recordContent: "false" } as unknown as TracerConfig;
    const tracer = createTracer(config);
    expect(tracer.config).toMatchObject({ flushTimeoutMs: 5000, maxSteps: 2, recordContent: false });
  });
});

describe("detached members", () => {
  it("every member of the invocation and of a tracer() handle works destructured", async () => {
    const memory = memoryExporter();
    const tracer = createTracer({ exporters: [memory] });
    const invocation = tracer.startInvocation();
    const { log, tracer: scoped, trace, step, flush, fetch } = invocation;
    expect(typeof fetch).toBe("function");
    step("retrieve", () => ["doc"], { input: "query" });
    const inner = trace({ metadata: { wrapped: true } })((question: string) =>
      scoped({ session_id: "s-detached" }, ({ log: innerLog, step: innerStep }) => {
        innerStep("think", () => "idea");
        return innerLog({ input: question, output: "inner answer" });
      }),
    );
    const ids = inner("inner question");
    expect(ids.session_id).toBe("s-detached");
    log({ input: "outer", output: "outer answer" });
    const result = await flush();
    expect(result).toMatchObject({ dropped: 0, errors: [] });
    const [innerLogged, outer] = memory.batches[0]!.logs;
    expect(innerLogged).toMatchObject({ input: "inner question", session_id: "s-detached", metadata: { wrapped: true } });
    expect(innerLogged!.steps.map((s) => s.name)).toEqual(["think"]);
    expect(outer).toMatchObject({ input: "outer", output: "outer answer" });
    expect(outer!.steps.map((s) => s.name)).toEqual(["retrieve"]);
  });
});

describe("lazy calls", () => {
  it("a log without output takes the output of the LLM call that starts after it, while the body is read", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      Response.json({ model: "gpt-4o-mini", choices: [{ index: 0, message: { role: "assistant", content: "later answer" }, finish_reason: "stop" }] }),
    );
    const memory = memoryExporter();
    const waited: Promise<unknown>[] = [];
    const response = await withTracer({ waitUntil: (p) => void waited.push(p) }, (t) => {
      t.log({ input: "asked first" });
      return new Response(new ReadableStream({
        async pull(controller) {
          const reply = await t.fetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: '{"model":"gpt-4o-mini","messages":[]}' });
          controller.enqueue(new TextEncoder().encode(await reply.text()));
          controller.close();
        },
      }));
    }, { exporters: [memory] });
    expect(memory.batches).toEqual([]);
    expect(await response.text()).toContain("later answer");
    await Promise.all(waited);
    const [logged] = memory.batches[0]!.logs;
    expect(logged).toMatchObject({ input: "asked first", output: "later answer" });
    expect(logged!.steps.map((s) => s.name)).toEqual(["chat gpt-4o-mini"]);
  });

  it("a call after the flush began is kept for the next flush, and the console says so once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json({ model: "m", choices: [] }));
    const memory = memoryExporter();
    const tracer = createTracer({ exporters: [memory] });
    const first = tracer.startInvocation();
    first.log({ input: "in time", output: "a" });
    await first.flush();
    await (await first.fetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: '{"model":"m","messages":[]}' })).text();
    await first.fetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: '{"model":"m","messages":[]}' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/an LLM call came after its invocation's flush began.*next flush.*Fix:/s);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = tracer.startInvocation();
    await second.flush();
    expect(memory.batches[1]!.looseSteps.map((step) => step.name)).toEqual(["chat m", "chat m"]);
  });
});

describe("calls that do not follow the types", () => {
  it("keeps what it can, says what it changed, and never throws", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const memory = memoryExporter();
    await withTracer(undefined, async (t: any) => {
      t.log("just a string");
      t.log({ input: "x", output: "y", metadata: "not an object", task_id: 42 });
      t.step("no function", undefined, { input: "q" });
    }, { exporters: [memory] });
    const [first, second] = memory.batches[0]!.logs;
    expect(first).toMatchObject({ input: "just a string" });
    expect(first!.metadata["edge_tracer.warnings"]).toEqual(["log() takes an object such as { input, output }; the string given was used as the input"]);
    expect(second).toMatchObject({ task_id: "42", metadata: { value: "not an object", "edge_tracer.warnings": ["metadata: not an object, kept under metadata.value"] } });
    expect(second!.steps.map((step) => [step.name, step.inputText])).toEqual([["no function", "q"]]);
    expect(warn).toHaveBeenCalled();
  });
});

describe("edge cases of the flush", () => {
  it("returns a streamed response at once where there is no waitUntil; its body closes once the export is done", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
      new Response(new ReadableStream({ pull: (c) => { c.enqueue(new TextEncoder().encode('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n')); c.close(); } }), { headers: { "content-type": "text/event-stream" } }),
    );
    const memory = memoryExporter();
    const started = Date.now();
    const response = await withTracer({}, async (t) => {
      const upstream = await t.fetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: '{"model":"m","stream":true,"messages":[]}' });
      t.log({ input: "q" });
      return new Response(upstream.body);
    }, { exporters: [memory], flushTimeoutMs: 10_000 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(memory.batches).toEqual([]);
    expect(await response.text()).toContain('"content":"hi"');
    // The runtime keeps a request alive until its body is sent: the export happened inside it.
    expect(memory.batches[0]?.logs[0]?.output).toBe("hi");
    expect(warn).not.toHaveBeenCalled();
  });

  it("returns the same result to every flush() call, and survives a throwing onExportError", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const broken = { name: "broken", export: async () => { throw new Error("down"); } };
    const invocation = createTracer({ exporters: [broken], onExportError: () => { throw new Error("hook bug"); } }).startInvocation();
    invocation.log({ input: "q", output: "a" });
    const first = invocation.flush();
    expect(invocation.flush()).toBe(first);
    expect((await first).errors).toEqual([{ destination: "broken", reason: "Error: down", count: 1, retryable: false }]);
  });
});
