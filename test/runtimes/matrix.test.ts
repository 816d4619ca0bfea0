// The runtime matrix: the README's examples, run as written in workerd, Vercel's Edge Runtime and Deno. Each
// calls the official SDKs (an OpenAI call, then a streamed Mistral call) in a scope, and logs with a manual step.
// The real API hosts are answered by loopback mocks; phospho's strict mock decodes what was exported.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { exportFinishedTimes, expectScenarioExported, scenarioRequest, SECRETS, startBackends, STORY, type Backends } from "./support/backends.js";
import { bundleEntries } from "./support/bundle.js";
import { denoWorkspace, startDeno } from "./support/deno.js";
import { startEdgeVm } from "./support/edge-vm.js";
import { startWorkerd } from "./support/workerd.js";

const example = (name: string) => `test/runtimes/examples/${name}`;
const WORKERS_WITH_TRACER = example("workers-with-tracer.ts");
const WORKERS_INSTRUMENT = example("workers-instrument.ts");
const VERCEL_ROUTE = example("vercel-edge-route.ts");
const VERCEL_FETCH_EVENT = example("vercel-edge-fetch-event.ts");
// The harness around the README's Deno example (deno-serve.ts), which it imports as written.
const DENO_ENTRY = "test/runtimes/support/deno-entry.ts";

// Two builds (ES modules for workerd and Deno, scripts for EdgeVM), started at once and awaited where needed.
const settledLater = <T>(promise: Promise<T>) => (promise.catch(() => {}), promise);
const modules = settledLater(bundleEntries([WORKERS_WITH_TRACER, WORKERS_INSTRUMENT, DENO_ENTRY], "esm"));
const bundles = {
  workerd: modules,
  edge: settledLater(bundleEntries([VERCEL_ROUTE, VERCEL_FETCH_EVENT], "iife")),
  deno: settledLater(modules.then((built) => denoWorkspace(built.get(DENO_ENTRY)!))),
};
afterAll(async () => (await bundles.deno.catch(() => undefined))?.dispose());

// phospho answers after this delay, so each test can tell whether the response waited for the export.
const PHOSPHO_DELAY_MS = 150;
let backends: Backends;
afterEach(async () => backends?.close());

/** The response went out before the export finished: the flush ran in waitUntil, after the response. */
const expectResponseFirst = (respondedAt: number) => {
  for (const finishedAt of exportFinishedTimes(backends)) expect(finishedAt).toBeGreaterThan(respondedAt);
};

describe("workerd (Miniflare)", () => {
  it.each([
    { name: "withTracer, no compatibility flag", entry: WORKERS_WITH_TRACER, flags: [] },
    { name: "withTracer, nodejs_als", entry: WORKERS_WITH_TRACER, flags: ["nodejs_als"] },
    { name: "instrument and the module-level API, nodejs_als", entry: WORKERS_INSTRUMENT, flags: ["nodejs_als"] },
  ])("$name: exports the scenario through ctx.waitUntil, after the response", async ({ entry, flags }) => {
    backends = await startBackends(PHOSPHO_DELAY_MS);
    const worker = await startWorkerd((await bundles.workerd).get(entry)!, { compatibilityFlags: flags, bindings: SECRETS, routes: backends.routes });
    try {
      const response = await worker.dispatchFetch(...scenarioRequest("session-workerd"));
      expect(await response.text()).toBe(STORY);
      const respondedAt = Date.now();
      await expectScenarioExported(backends, "session-workerd");
      expectResponseFirst(respondedAt);
    } finally {
      await worker.dispose();
    }
  });
});

describe("Vercel Edge (EdgeVM)", () => {
  const variants = [
    { name: "without AsyncLocalStorage", asyncLocalStorage: false },
    { name: "with an injected AsyncLocalStorage", asyncLocalStorage: true },
  ];

  it.each(variants)("App Router route, $name: waitUntil from Vercel's request context", async ({ asyncLocalStorage }) => {
    backends = await startBackends(PHOSPHO_DELAY_MS);
    const edge = startEdgeVm((await bundles.edge).get(VERCEL_ROUTE)!, { env: SECRETS, routes: backends.routes, asyncLocalStorage, requestContext: true });
    const { response, waited } = await edge.callRoute(...scenarioRequest("session-vercel"));
    expect(await response.text()).toBe(STORY);
    const respondedAt = Date.now();
    expect(waited).toHaveLength(1);
    expect(await waited[0]).toMatchObject({ dropped: 0, errors: [] });
    await expectScenarioExported(backends, "session-vercel");
    expectResponseFirst(respondedAt);
  });

  it.each(variants)("FetchEvent handler, $name: the event's waitUntil passed explicitly, no request context", async ({ asyncLocalStorage }) => {
    backends = await startBackends(PHOSPHO_DELAY_MS);
    const edge = startEdgeVm((await bundles.edge).get(VERCEL_FETCH_EVENT)!, { env: SECRETS, routes: backends.routes, asyncLocalStorage, requestContext: false });
    const { response, waited } = await edge.dispatch(...scenarioRequest("session-vercel-event"));
    expect(await response.text()).toBe(STORY);
    const respondedAt = Date.now();
    expect(await waited).toEqual([expect.objectContaining({ dropped: 0, errors: [] })]);
    await expectScenarioExported(backends, "session-vercel-event");
    expectResponseFirst(respondedAt);
  });
});

describe("Deno (deno run --allow-net=127.0.0.1)", () => {
  it.each([
    { name: "with AsyncLocalStorage from node:async_hooks", asyncLocalStorage: true },
    { name: "without AsyncLocalStorage", asyncLocalStorage: false },
  ])("Deno.serve, $name: no waitUntil, so the export completes before the response body ends", async ({ asyncLocalStorage }) => {
    backends = await startBackends(PHOSPHO_DELAY_MS);
    const deno = await startDeno((await bundles.deno).dir, { routes: backends.routes, env: SECRETS, asyncLocalStorage });
    try {
      expect([deno.runtime, deno.asyncLocalStorage]).toEqual(["deno", asyncLocalStorage]);
      const [, init] = scenarioRequest("session-deno");
      const response = await fetch(`${deno.url}/api/story`, init);
      expect(await response.text()).toBe(STORY);
      const respondedAt = Date.now();
      await expectScenarioExported(backends, "session-deno");
      for (const finishedAt of exportFinishedTimes(backends)) expect(finishedAt).toBeLessThanOrEqual(respondedAt);
      // Nothing to complain about: no permission prompt, no warning from the tracer.
      expect(deno.stderr()).toBe("");
    } finally {
      await deno.close();
    }
  });
});
