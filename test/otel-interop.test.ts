// Interop with @opentelemetry/api: a user's span becomes a step; another SDK's active span becomes our parent.
// It needs Node's AsyncLocalStorage or fs, so it lives in test/ and src/ stays free of Node imports.
import { AsyncLocalStorage } from "node:async_hooks";
import { context, ROOT_CONTEXT, trace, type Context, type ContextManager } from "@opentelemetry/api";
import { afterEach, expect, it } from "vitest";
import { memoryExporter } from "./support/memory-exporter.js";
import { withTracer } from "../src/index.js";

afterEach(() => {
  trace.disable();
  context.disable();
});

it("turns a span started with the OpenTelemetry API into a step, parent of the work inside it", async () => {
  const memory = memoryExporter();
  const config = { exporters: [memory], asyncLocalStorage: AsyncLocalStorage, registerGlobal: true };
  await withTracer(undefined, async (t) => {
    await trace.getTracer("my-app").startActiveSpan("load profile", { attributes: { "db.system": "postgres" } }, async (span) => {
      await t.step("inner work", async () => "done");
      await trace.getTracer("my-app").startActiveSpan("nested", (child) => child.end());
      span.setAttribute("rows", 3);
      span.end();
    });
    t.log({ input: "q", output: "a" });
  }, config);
  const steps = memory.batches[0]!.logs[0]!.steps;
  const outer = steps.find((step) => step.name === "load profile")!;
  expect(outer).toMatchObject({ kind: "custom", status: "ok", metadata: { "db.system": "postgres", rows: 3 } });
  expect(steps.find((step) => step.name === "inner work")!.parentSpanId).toBe(outer.spanId);
  expect(steps.find((step) => step.name === "nested")!.parentSpanId).toBe(outer.spanId);
});

it("makes another SDK's active span the parent of our root span", async () => {
  // A foreign context manager, as another OpenTelemetry SDK would register.
  const storage = new AsyncLocalStorage<Context>();
  const foreign: ContextManager = {
    active: () => storage.getStore() ?? ROOT_CONTEXT,
    with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
    bind: (_ctx, target) => target,
    enable() { return this; },
    disable() { return this; },
  };
  context.setGlobalContextManager(foreign);
  const parent = { traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1 };
  const memory = memoryExporter();
  const active = trace.setSpan(ROOT_CONTEXT, trace.wrapSpanContext(parent));
  await context.with(active, () => withTracer(undefined, (t) => t.log({ input: "q", output: "a" }), { exporters: [memory] }));
  const [root] = memory.batches[0]!.scopes;
  expect(root).toMatchObject({ isRoot: true, traceId: parent.traceId, parentSpanId: parent.spanId });
  expect(memory.batches[0]!.logs[0]!.traceId).toBe(parent.traceId);
});

it("registers under the version of @opentelemetry/api that package.json depends on", async () => {
  const { readFileSync } = await import("node:fs");
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const source = readFileSync(new URL("../src/otel/register.ts", import.meta.url), "utf8");
  expect(source).toContain(`OTEL_API_VERSION = "${pkg.dependencies["@opentelemetry/api"]}"`);
});
