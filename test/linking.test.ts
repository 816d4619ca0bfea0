// The linking rule through the public API: which log each step lands in, scopes, ids and metadata.
// It needs Node's AsyncLocalStorage or fs, so it lives in test/ and src/ stays free of Node imports.
import { AsyncLocalStorage } from "node:async_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "./mocks/mock-llm.mjs";
import { memoryExporter } from "./support/memory-exporter.js";
import { createTracer, type Invocation, type TraceHandle } from "../src/index.js";

let llm: MockLlm;
beforeAll(async () => (llm = await startMockLlm()));
afterAll(() => llm.close());

function setup(config = {}) {
  const memory = memoryExporter();
  const tracer = createTracer({ exporters: [memory], providers: [{ baseUrl: `${llm.url}/openai`, kind: "openai" }], ...config });
  return { memory, invocation: tracer.startInvocation() };
}

/** One chat completion through a handle's fetch; returns the reply text. */
async function ask(handle: TraceHandle, content: string): Promise<string> {
  const response = await handle.fetch(`${llm.url}/openai/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content }] }),
  });
  return (await response.json()).choices[0].message.content;
}

async function flushed(invocation: Invocation, memory: ReturnType<typeof memoryExporter>) {
  await invocation.flush();
  return memory.batches[0]!;
}

const prompts = (steps: { inputText?: string }[]) => steps.map((step) => JSON.parse(step.inputText!)[0].content);

describe("automatic linking", () => {
  it("links the LLM calls made before a log to it, and later ones to the next log", async () => {
    const { memory, invocation } = setup();
    await ask(invocation, "a");
    await ask(invocation, "b");
    invocation.log({ input: "first", output: "1" });
    await ask(invocation, "c");
    invocation.log({ input: "second", output: "2" });
    const batch = await flushed(invocation, memory);
    expect(batch.logs.map((log) => [log.input, prompts(log.steps)])).toEqual([["first", ["a", "b"]], ["second", ["c"]]]);
  });

  it("gives steps no log claimed to the invocation's last log, and keeps them loose when there is no log", async () => {
    const withLog = setup();
    withLog.invocation.log({ input: "only", output: "x" });
    await ask(withLog.invocation, "after");
    expect(prompts((await flushed(withLog.invocation, withLog.memory)).logs[0]!.steps)).toEqual(["after"]);

    // With the automatic log off (it is on by default: see src/pipeline/auto-log.test.ts).
    const noLog = setup({ autoLog: false });
    await ask(noLog.invocation, "lonely");
    const batch = await flushed(noLog.invocation, noLog.memory);
    expect(batch.logs).toEqual([]);
    expect(prompts(batch.looseSteps)).toEqual(["lonely"]);
    expect(batch.looseSteps[0]!.traceId).toBe(noLog.invocation.traceId);
  });

  it("takes the output from the last LLM step the log claims when none is given", async () => {
    const { memory, invocation } = setup();
    await ask(invocation, "Say a color");
    await ask(invocation, "Say an animal");
    invocation.log({ input: "color and animal" });
    expect((await flushed(invocation, memory)).logs[0]!.output).toBe("Otter");
  });

  it("waits for an output given as a promise", async () => {
    const { memory, invocation } = setup();
    invocation.log({ input: "q", output: new Promise((resolve) => setTimeout(resolve, 20, { answer: 42 })) });
    const [log] = (await flushed(invocation, memory)).logs;
    expect(log!.output).toBe('{"answer":42}');
    expect(log!.raw_output).toEqual({ answer: 42 });
  });
});

describe("scopes", () => {
  it("applies task_id, session_id and metadata to every log inside, inner values winning", async () => {
    const { memory, invocation } = setup();
    await invocation.tracer({ session_id: "s-outer", metadata: { user: "bob", plan: "free" } }, async (outer) => {
      outer.log({ input: "outer" });
      await outer.tracer({ task_id: "task-inner", metadata: { plan: "pro" } }, async (inner) => {
        inner.log({ input: "inner", metadata: { extra: true } });
      });
    });
    const [outer, inner] = (await flushed(invocation, memory)).logs;
    expect(outer).toMatchObject({ session_id: "s-outer", metadata: { user: "bob", plan: "free" } });
    expect(outer!.task_id).toMatch(/^task_[0-9a-f]{32}$/);
    expect(inner).toMatchObject({ task_id: "task-inner", session_id: "s-outer", metadata: { user: "bob", plan: "pro", extra: true } });
  });

  it("lets a log claim steps of nested scopes, but never of sibling or enclosing ones", async () => {
    const { memory, invocation } = setup();
    await ask(invocation, "root");
    await invocation.tracer({ name: "a" }, async (a) => {
      await ask(a, "in a");
      await a.tracer({ name: "a.1" }, (nested) => ask(nested, "in a.1"));
      a.log({ input: "log a" });
    });
    await invocation.tracer({ name: "b" }, async (b) => {
      await ask(b, "in b");
      b.log({ input: "log b" });
    });
    invocation.log({ input: "log root" });
    const logs = (await flushed(invocation, memory)).logs;
    expect(logs.map((log) => [log.input, prompts(log.steps)])).toEqual([
      ["log a", ["in a", "in a.1"]],
      ["log b", ["in b"]],
      ["log root", ["root"]],
    ]);
  });

  it("attributes sequential calls on the root handle inside a tracer() block to that block", async () => {
    const { memory, invocation } = setup();
    await invocation.tracer({ session_id: "s-block" }, async () => {
      await ask(invocation, "via root handle");
      invocation.log({ input: "logged on root handle" });
    });
    const [log] = (await flushed(invocation, memory)).logs;
    expect(log!.session_id).toBe("s-block");
    expect(prompts(log!.steps)).toEqual(["via root handle"]);
  });

  it("keeps concurrent blocks apart with AsyncLocalStorage, even on the root handle", async () => {
    const { memory, invocation } = setup({ asyncLocalStorage: AsyncLocalStorage });
    await Promise.all(
      ["x", "y", "z"].map((name) =>
        invocation.tracer({ session_id: `s-${name}` }, async () => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
          await ask(invocation, `prompt ${name}`);
          invocation.log({ input: name });
        }),
      ),
    );
    const logs = (await flushed(invocation, memory)).logs;
    for (const log of logs) {
      expect(log.session_id).toBe(`s-${log.input}`);
      expect(prompts(log.steps)).toEqual([`prompt ${log.input}`]);
    }
  });

  it("wraps functions with trace(), keeping `this` and arguments", async () => {
    const { memory, invocation } = setup();
    const bot = {
      name: "bot",
      answer: invocation.trace({ session_id: "s-traced" })(async function (this: { name: string }, q: string) {
        invocation.log({ input: q, output: this.name });
        return `${this.name}:${q}`;
      }),
    };
    expect(await bot.answer("hi")).toBe("bot:hi");
    expect((await flushed(invocation, memory)).logs[0]).toMatchObject({ session_id: "s-traced", input: "hi", output: "bot" });
  });
});

describe("ids", () => {
  it("returns the ids at once, generated like the reference client's when absent", () => {
    const { invocation } = setup();
    const generated = invocation.log({ input: "q" });
    expect(generated.task_id).toMatch(/^task_[0-9a-f]{32}$/);
    expect(generated.session_id).toMatch(/^session_[0-9a-f]{32}$/);
    expect(invocation.log({ input: "q", task_id: "t1", session_id: "s1" })).toEqual({ task_id: "t1", session_id: "s1" });
  });
});
