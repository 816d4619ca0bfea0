// flushCollector: wait for what is still running within the budget, seal, sample, export once per destination,
// and report failures rather than throw.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { resolveConfig, type TracerConfig } from "../model/config.js";
import type { Exporter, ExportOptions, ExportResult } from "../model/exporter.js";
import { createCollector, type Collector } from "../record/collector.js";
import { orphanCollector } from "../record/orphans.js";
import { resetWarnings } from "../util/warn.js";
import { flushCollector } from "./flush.js";

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => void (warn = vi.spyOn(console, "warn").mockImplementation(() => {})));
afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

const collector = (config: TracerConfig = {}) => createCollector(resolveConfig(config));
const later = <T>(ms: number, fn: () => T) => new Promise<T>((resolve) => setTimeout(() => resolve(fn()), ms));

/** A collector with one log and one ended custom step: 2 items to deliver. */
function oneLog(config: TracerConfig = {}): Collector {
  const c = collector(config);
  c.endStep(c.startStep(c.root, "custom", "tool")!, "ok");
  c.addLog(c.root, { input: "q", output: "a" });
  return c;
}

/** An exporter named `broken` that fails the way `fail` does. */
const failing = (fail: () => Promise<ExportResult>): Exporter => ({ name: "broken", export: fail });

describe("waiting for what is still running", () => {
  it("waits for a step that ends within the budget, and for what starts meanwhile", async () => {
    const c = collector({ flushTimeoutMs: 2_000 });
    const first = c.startStep(c.root, "llm", "first")!;
    void later(20, () => {
      c.endStep(first, "ok");
      const second = c.startStep(c.root, "llm", "second")!;
      void later(20, () => c.endStep(second, "ok"));
    });
    c.addLog(c.root, { input: "q", output: later(10, () => "settled answer") });
    const memory = memoryExporter();
    await flushCollector(c, [memory]);
    const [log] = memory.batches[0]!.logs;
    expect(log!.output).toBe("settled answer");
    expect(log!.steps.map((step) => [step.name, step.status])).toEqual([["first", "ok"], ["second", "ok"]]);
  });

  it("marks a step still open at the deadline unfinished, keeping part of the budget for the export", async () => {
    const c = collector({ flushTimeoutMs: 200 });
    c.startStep(c.root, "llm", "endless stream");
    let left = 0;
    const timed: Exporter = { name: "timed", export: async (batch, options) => ((left = options.deadline - Date.now()), { sent: batch.looseSteps.length, retried: 0, dropped: 0, errors: [] }) };
    const started = Date.now();
    expect(await flushCollector(c, [timed])).toMatchObject({ sent: 1, errors: [] });
    expect(c.steps[0]!.status).toBe("unfinished");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(left).toBeGreaterThan(0);
  });

  it("seals the collector: later records belong to no batch of this flush", async () => {
    const c = oneLog();
    expect(c.sealed).toBe(false);
    await flushCollector(c, [memoryExporter()]);
    expect(c.sealed).toBe(true);
  });
});

describe("sampling", () => {
  it("exports nothing of an invocation head sampling skipped, unless a keep rule matches", async () => {
    const skipped = memoryExporter();
    expect(await flushCollector(oneLog({ sampleRate: 0 }), [skipped])).toEqual({ sent: 0, retried: 0, dropped: 0, errors: [] });
    expect(skipped.batches).toEqual([]);

    const rescued = memoryExporter();
    const c = collector({ sampleRate: 0, keep: { errors: true } });
    c.endStep(c.startStep(c.root, "custom", "failed tool")!, "error", new Error("boom"));
    c.addLog(c.root, { input: "q", output: "a" });
    await flushCollector(c, [rescued]);
    expect(rescued.batches[0]!.logs[0]!.steps[0]!.error).toEqual({ type: "Error", message: "boom" });
  });
});

describe("orphans", () => {
  it("appends the isolate's orphan records to the next flush, once", async () => {
    const orphans = orphanCollector();
    orphans.addLog(orphans.root, { input: "orphan", output: "late" });
    const memory = memoryExporter();
    await flushCollector(oneLog(), [memory]);
    await flushCollector(oneLog(), [memory]);
    const [first, second] = memory.batches;
    expect(first!.logs.map((log) => log.input)).toEqual(["q", "orphan"]);
    expect(first!.scopes.map((scope) => scope.name)).toEqual(["invocation", "edge-tracer orphan logs"]);
    expect(second!.logs.map((log) => log.input)).toEqual(["q"]);
  });

  it("delivers them even when this invocation was not sampled, under the invocation's resource", async () => {
    const orphans = orphanCollector();
    orphans.addLog(orphans.root, { input: "orphan", output: "late" });
    const memory = memoryExporter();
    await flushCollector(oneLog({ sampleRate: 0, environment: "prod", versionId: "v1", serviceName: "bot" }), [memory]);
    expect(memory.batches[0]!.logs.map((log) => log.input)).toEqual(["orphan"]);
    expect(memory.batches[0]!.resource).toEqual({ serviceName: "bot", environment: "prod", versionId: "v1" });
  });

  it("leaves them for a real flush when tracing is off (no exporters)", async () => {
    const orphans = orphanCollector();
    orphans.addLog(orphans.root, { input: "orphan", output: "late" });
    const c = oneLog();
    c.startStep(c.root, "llm", "never ends");
    expect(await flushCollector(c, [])).toEqual({ sent: 0, retried: 0, dropped: 0, errors: [] });
    expect(c.sealed).toBe(false);
    expect(c.steps[1]!.status).toBe("open");
    const memory = memoryExporter();
    await flushCollector(oneLog(), [memory]);
    expect(memory.batches[0]!.logs.map((log) => log.input)).toEqual(["q", "orphan"]);
  });
});

describe("export", () => {
  it("calls each exporter once with the same clipped batch, the semconv, the deadline and the configured fetch", async () => {
    const fetch = vi.fn<typeof globalThis.fetch>();
    const seen: Array<[unknown, ExportOptions]> = [];
    const spy = (name: string): Exporter => ({ name, export: async (batch, options) => (seen.push([batch, options]), { sent: 1, retried: 0, dropped: 0, errors: [] }) });
    const c = collector({ semconv: "both", fetch, maxFieldBytes: 256 });
    c.addLog(c.root, { input: "x".repeat(1_000), output: "a" });
    const started = Date.now();
    expect(await flushCollector(c, [spy("one"), spy("two")])).toEqual({ sent: 2, retried: 0, dropped: 0, errors: [] });
    expect(seen).toHaveLength(2);
    const [[batch, options], [otherBatch]] = seen as [[{ logs: Array<{ input: string }> }, ExportOptions], [unknown]];
    expect(otherBatch).toBe(batch);
    expect(batch.logs[0]!.input).toBe(`${"x".repeat(256)}…[truncated by edge-tracer: 1000 bytes originally]`);
    expect(options).toMatchObject({ semconv: "both", fetch });
    expect(options.signal.aborted).toBe(false);
    expect(options.deadline).toBeGreaterThanOrEqual(started + 25_000 - 1_000);
  });

  it("hands exporters the global fetch, looked up when they call it", async () => {
    let options: ExportOptions | undefined;
    await flushCollector(oneLog(), [{ name: "spy", export: async (_batch, given) => ((options = given), { sent: 1, retried: 0, dropped: 0, errors: [] }) }]);
    const global = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("ok"));
    await options!.fetch("https://collector.test/");
    expect(global).toHaveBeenCalledWith("https://collector.test/", undefined);
  });

  it.each([
    ["rejects", () => Promise.reject(new Error("sink down"))],
    ["throws", () => { throw new Error("sink down"); }],
  ])("counts everything as dropped by an exporter that %s, with its reason, and still delivers to the others", async (_how, fail) => {
    const reported: unknown[] = [];
    const memory = memoryExporter();
    const result = await flushCollector(oneLog({ onExportError: (error) => reported.push(error) }), [failing(fail), memory]);
    const error = { destination: "broken", reason: "Error: sink down", count: 2, retryable: false };
    expect(result).toEqual({ sent: 1, retried: 0, dropped: 2, errors: [error] });
    expect(reported).toEqual([error]);
    expect(memory.batches).toHaveLength(1);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/export failed for part of trace [0-9a-f]{32}: broken: 2 not delivered \(Error: sink down\)/));
  });

  it("never rejects: a throwing onExportError or an internal failure is reported, not thrown", async () => {
    const hookThrows = oneLog({ onExportError: () => { throw new Error("hook bug"); } });
    await expect(flushCollector(hookThrows, [failing(() => Promise.reject(new Error("sink down")))])).resolves.toMatchObject({ dropped: 2 });

    const internal = oneLog();
    internal.closeUnfinished = () => { throw new Error("internal bug"); };
    await expect(flushCollector(internal, [memoryExporter()])).resolves.toEqual({
      sent: 0, retried: 0, dropped: 0, errors: [{ destination: "edge-tracer", reason: "Error: internal bug", count: 0, retryable: false }],
    });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("flush failed, this invocation's trace is lost: Error: internal bug"));
  });

  it("calls no exporter when there is nothing to send", async () => {
    const memory = memoryExporter();
    const c = collector();
    c.enterScope(c.root, { name: "empty block" });
    expect(await flushCollector(c, [memory])).toEqual({ sent: 0, retried: 0, dropped: 0, errors: [] });
    expect(memory.batches).toEqual([]);
  });
});
