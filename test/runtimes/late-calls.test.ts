// LLM calls that start after the handler returned (the Vercel AI SDK's streamText, an SDK call inside a returned
// ReadableStream, instrument + tracedFetch) and destructured handles, in workerd, Vercel's Edge Runtime and Deno.
// Each export must hold the log, linked to its steps, with the streamed output.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PROMPT } from "./late/prompt.js";
import { SECRETS, startBackends, STORY, type Backends } from "./support/backends.js";
import { bundleEntries } from "./support/bundle.js";
import { denoWorkspace, startDeno } from "./support/deno.js";
import { startEdgeVm } from "./support/edge-vm.js";
import { startWorkerd } from "./support/workerd.js";

const WORKERS = "test/runtimes/late/workers.ts";
const WORKERS_ALS = "test/runtimes/late/workers-als.ts";
const VERCEL = "test/runtimes/late/vercel-edge.ts";
const DENO = "test/runtimes/late/deno-entry.ts";

const settledLater = <T>(promise: Promise<T>) => (promise.catch(() => {}), promise);
const modules = settledLater(bundleEntries([WORKERS, WORKERS_ALS, DENO], "esm"));
const edge = settledLater(bundleEntries([VERCEL], "iife"));
const deno = settledLater(modules.then((built) => denoWorkspace(built.get(DENO)!)));
afterAll(async () => (await deno.catch(() => undefined))?.dispose());

let backends: Backends;
afterEach(async () => backends?.close());

/** A runtime under test: sends one request to a path of the app and returns the response. */
type Send = (path: string) => Promise<Response>;

/** What phospho must have received: the log with the streamed story, linked to the LLM call that made it. */
async function expectLateCallExported(): Promise<void> {
  const { phospho } = backends;
  const spans = await phospho.waitFor((s) => s.logs.length >= 1 && s.spans.length >= 1 && s.spans);
  expect(phospho.errors).toEqual([]);
  expect(phospho.logs).toHaveLength(1);
  const log = phospho.logs[0]!;
  expect(log).toMatchObject({ input: PROMPT, output: STORY });
  const llm = spans.filter((span) => span.attributes["gen_ai.system"] === "openai");
  expect(llm).toHaveLength(1);
  expect(llm[0]!.attributes).toMatchObject({ "phospho.task_id": log.task_id, "gen_ai.completion.0.content": STORY });
}

/** Every member of a destructured handle did its part: two LLM calls, two custom steps, two logs, the scope's session. */
async function expectDestructuredExported(): Promise<void> {
  const { phospho } = backends;
  const spans = await phospho.waitFor((s) => s.logs.length >= 2 && s.spans.length >= 4 && s.spans);
  expect(phospho.errors).toEqual([]);
  const [story, followUp] = phospho.logs;
  expect(story).toMatchObject({ input: PROMPT, session_id: "session-destructured", metadata: { teller: "otter" } });
  expect(story!.output).toBe(STORY);
  expect(followUp).toMatchObject({ input: "follow-up", output: "done" });
  const names = spans.map((span) => span.attributes["gen_ai.name"] ?? span.attributes["gen_ai.request.model"]).sort();
  expect(names).toEqual(["compose", "gpt-4o-mini", "gpt-4o-mini", "pick a color"]);
  const byTask = (taskId: string) => spans.filter((span) => span.attributes["phospho.task_id"] === taskId).length;
  expect(byTask(story!.task_id)).toBe(2);
  expect(byTask(followUp!.task_id)).toBe(2);
}

const LATE_PATHS = ["/ai-sdk", "/sdk-in-stream"];

/**
 * The cases every runtime runs. `start` starts fresh backends and the app, and returns how to send it a request:
 * each case has its own, so no export can be mistaken for another's. `exportedBeforeBodyEnds`: no waitUntil, so the
 * body closes only once the export is done.
 */
function lateCallCases(start: () => Promise<Send>, { als, exportedBeforeBodyEnds = false }: { als: boolean; exportedBeforeBodyEnds?: boolean }) {
  for (const path of als ? [...LATE_PATHS, "/instrument"] : LATE_PATHS) {
    it(`${path}: the call made while the body streams is recorded and linked`, async () => {
      const send = await start();
      expect(await (await send(path)).text()).toBe(STORY);
      if (exportedBeforeBodyEnds) expect(backends.phospho.logs).toHaveLength(1);
      await expectLateCallExported();
    });
  }
  it("/destructured: every member works detached", async () => {
    const send = await start();
    expect(await (await send("/destructured")).text()).toBe(STORY);
    await expectDestructuredExported();
  });
}

describe.each([
  { name: "workerd, no flag", entry: WORKERS, flags: [] as string[], als: false },
  { name: "workerd, nodejs_als", entry: WORKERS_ALS, flags: ["nodejs_als"], als: true },
])("$name", ({ entry, flags, als }) => {
  let dispose: (() => Promise<void>) | undefined;
  afterEach(async () => dispose?.());
  lateCallCases(async () => {
    backends = await startBackends();
    const worker = await startWorkerd((await modules).get(entry)!, { compatibilityFlags: flags, bindings: SECRETS, routes: backends.routes });
    dispose = () => worker.dispose();
    return async (path) => (await worker.dispatchFetch(`https://app.example${path}`, { method: "POST" })) as unknown as Response;
  }, { als });
});

describe.each([
  { name: "EdgeVM, no AsyncLocalStorage", als: false },
  { name: "EdgeVM, Next.js's global AsyncLocalStorage", als: true },
])("$name", ({ als }) => {
  lateCallCases(async () => {
    backends = await startBackends();
    const vm = startEdgeVm((await edge).get(VERCEL)!, { env: SECRETS, routes: backends.routes, asyncLocalStorage: als, requestContext: true });
    return async (path) => (await vm.callRoute(`https://app.example${path}`, { method: "POST" })).response;
  }, { als });
});

describe.each([
  { name: "Deno.serve, AsyncLocalStorage from node:async_hooks", als: true },
  { name: "Deno.serve, no AsyncLocalStorage", als: false },
])("$name", ({ als }) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());
  lateCallCases(async () => {
    backends = await startBackends();
    const server = await startDeno((await deno).dir, { routes: backends.routes, env: SECRETS, asyncLocalStorage: als });
    close = async () => {
      // Nothing to complain about: no permission prompt, no warning from the tracer.
      expect(server.stderr()).toBe("");
      await server.close();
    };
    return (path) => fetch(`${server.url}${path}`, { method: "POST" });
  }, { als, exportedBeforeBodyEnds: true });
});
