// Where the flush goes after the handler: the waitUntil each runtime offers, or an awaited flush where none exists.
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryExporter } from "../support/memory-exporter.js";
import { withTracer, type ExportResult } from "../../src/index.js";
import { findWaitUntil } from "../../src/runtime/wait-until.js";

const VERCEL = Symbol.for("@vercel/request-context");
const NEXT = Symbol.for("@next/request-context");
const globals = globalThis as Record<symbol, unknown>;

afterEach(() => {
  delete globals[VERCEL];
  delete globals[NEXT];
  vi.restoreAllMocks();
});

/** A waitUntil that records what it is handed, as a platform would keep the request alive for it. */
function recorder() {
  const handed: Promise<unknown>[] = [];
  return { handed, waitUntil: (promise: Promise<unknown>) => void handed.push(promise) };
}

describe("waitUntil discovery", () => {
  it("Workers: uses the handler's ctx, called as a method (workerd throws on a detached waitUntil)", async () => {
    const handed: Promise<unknown>[] = [];
    const ctx = {
      waitUntil(this: unknown, promise: Promise<unknown>) {
        if (this !== ctx) throw new TypeError("Illegal invocation");
        handed.push(promise);
      },
    };
    const memory = memoryExporter();
    await withTracer(ctx, (t) => t.log({ input: "q", output: "a" }), { exporters: [memory] });
    expect(handed).toHaveLength(1);
    expect(await handed[0]).toMatchObject({ sent: 1, errors: [] });
    expect(memory.batches).toHaveLength(1);
  });

  it("Vercel: uses the request context's waitUntil when no ctx is passed, and a passed one first", async () => {
    const platform = recorder();
    const context = {
      waitUntil(this: unknown, promise: Promise<unknown>) {
        if (this !== context) throw new TypeError("waitUntil called detached");
        platform.waitUntil(promise);
      },
    };
    globals[VERCEL] = { get: () => context };
    await withTracer(null, (t) => t.log({ input: "q", output: "a" }), { exporters: [memoryExporter()] });
    expect(platform.handed).toHaveLength(1);

    const passed = recorder();
    await withTracer(passed, (t) => t.log({ input: "q", output: "a" }), { exporters: [memoryExporter()] });
    expect(passed.handed).toHaveLength(1);
    expect(platform.handed).toHaveLength(1);
  });

  it("Next.js: reads its own request context before Vercel's", () => {
    const next = recorder();
    const vercel = recorder();
    globals[NEXT] = { get: () => ({ waitUntil: next.waitUntil }) };
    globals[VERCEL] = { get: () => ({ waitUntil: vercel.waitUntil }) };
    findWaitUntil(undefined)!(Promise.resolve());
    expect([next.handed.length, vercel.handed.length]).toEqual([1, 0]);
  });

  it("outside a request (the context is there but empty), and in Deno or Node: awaits the flush instead", async () => {
    globals[VERCEL] = { get: () => undefined };
    let exported = false;
    const slow = { name: "slow", export: async (): Promise<ExportResult> => (await new Promise((r) => setTimeout(r, 20)), (exported = true), { sent: 1, retried: 0, dropped: 0, errors: [] }) };
    await withTracer(undefined, (t) => t.log({ input: "q", output: "a" }), { exporters: [slow] });
    expect(exported).toBe(true);
  });

  it("a waitUntil that throws never reaches the handler: its result is kept, the flush still runs", async () => {
    const memory = memoryExporter();
    const closed = { waitUntil: () => { throw new Error("context closed"); } };
    const result = await withTracer(closed, (t) => (t.log({ input: "q", output: "a" }), "handler result"), { exporters: [memory] });
    expect(result).toBe("handler result");
    await vi.waitFor(() => expect(memory.batches).toHaveLength(1));
  });

  it("a request context that throws never reaches the handler: the flush is awaited, the result kept", async () => {
    globals[VERCEL] = { get: () => { throw new Error("no store"); } };
    const memory = memoryExporter();
    const result = await withTracer(undefined, (t) => (t.log({ input: "q", output: "a" }), "handler result"), { exporters: [memory] });
    expect(result).toBe("handler result");
    expect(memory.batches).toHaveLength(1);
  });
});
