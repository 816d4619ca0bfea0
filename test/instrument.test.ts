// instrument(): each fetch, scheduled and queue event in its own invocation, config resolved per env.
// It needs Node's AsyncLocalStorage or fs, so it lives in test/ and src/ stays free of Node imports.
import { AsyncLocalStorage } from "node:async_hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryExporter } from "./support/memory-exporter.js";
import { currentInvocation, instrument, log } from "../src/index.js";
import { resetWarnings } from "../src/util/warn.js";

afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

/** Calls a wrapped handler the way the Workers runtime does: (event, env, ctx). */
const call = (handler: unknown, event: unknown, env: unknown, ctx: unknown) => (handler as (...args: unknown[]) => Promise<any>)(event, env, ctx);

function context() {
  const waited: Promise<unknown>[] = [];
  return { ctx: { waitUntil: (promise: Promise<unknown>) => void waited.push(promise) }, settled: () => Promise.all(waited) };
}

describe("instrument", () => {
  it("runs fetch, scheduled and queue handlers in their own invocations, flushed through waitUntil", async () => {
    const memory = memoryExporter();
    const seen: unknown[] = [];
    const handler = instrument(
      {
        async fetch(request: Request) {
          seen.push(currentInvocation());
          log({ input: await request.text(), output: "fetched" });
          return new Response("ok");
        },
        async scheduled(controller: { cron: string }) {
          seen.push(currentInvocation());
          log({ input: controller.cron, output: "ran" });
        },
        async queue(batch: { queue: string; messages: unknown[] }) {
          seen.push(currentInvocation());
          log({ input: `${batch.messages.length} messages`, output: batch.queue });
        },
      },
      { exporters: [memory], asyncLocalStorage: AsyncLocalStorage },
    );
    const { ctx, settled } = context();
    const response = await call(handler.fetch, new Request("https://app.test/chat", { method: "POST", body: "hi" }), {}, ctx);
    expect(await response.text()).toBe("ok");
    await call(handler.scheduled, { cron: "*/5 * * * *" }, {}, ctx);
    await call(handler.queue, { queue: "jobs", messages: [1, 2] }, {}, ctx);
    await settled();
    expect(new Set(seen).size).toBe(3);
    expect(seen.every(Boolean)).toBe(true);
    // The fetch invocation flushes once its response body was read, so the three batches may come in any order.
    expect(memory.batches.map((batch) => [batch.logs[0]!.input, batch.logs[0]!.output]).sort()).toEqual([
      ["*/5 * * * *", "ran"],
      ["2 messages", "jobs"],
      ["hi", "fetched"],
    ]);
  });

  it("resolves a config function once per env; a config mistake is reported once and the request runs untraced", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const memory = memoryExporter();
    let resolved = 0;
    const handler = instrument({ fetch: async () => new Response("ok") }, (env: { KEY?: string }) => {
      resolved++;
      return env.KEY === "bad" ? { flushTimeoutMs: -1 } : { exporters: [memory] };
    });
    const env = { KEY: "good" };
    const { ctx, settled } = context();
    for (let i = 0; i < 2; i++) expect(await (await call(handler.fetch, new Request("https://app.test/"), env, ctx)).text()).toBe("ok");
    await settled();
    expect(resolved).toBe(1);
    const bad = { KEY: "bad" };
    for (let i = 0; i < 3; i++) expect(await (await call(handler.fetch, new Request("https://app.test/"), bad, ctx)).text()).toBe("ok");
    expect(error).toHaveBeenCalledTimes(1);
    expect(String(error.mock.calls[0]![0])).toMatch(/tracing is off.*`flushTimeoutMs` is invalid \(got -1\)\. Fix:/s);
  });

  it("keeps other members and is a no-op when applied twice", () => {
    const handler = { fetch: async () => new Response("ok"), tail: () => "kept" };
    const once = instrument(handler, {});
    expect(instrument(once, {})).toBe(once);
    expect(once.tail()).toBe("kept");
    expect(once).not.toHaveProperty("queue");
  });
});
