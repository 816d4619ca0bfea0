// A real HTTP client that disconnects mid-stream, not only a reader's cancel(): for the proxy and SDK patterns, in
// workerd (native pipes) and Deno (the pull stream), every abort must end the step `cancelled` with the upstream
// cancelled, no uncaught error and no parse problem from the cut-off last event.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Miniflare } from "miniflare";
import { startMockOtlp, type MockOtlp } from "../mocks/mock-otlp.mjs";
import { bundleEntries } from "../runtimes/support/bundle.js";
import { denoBinary } from "../runtimes/support/deno.js";
import { bundleWorker } from "../support/workerd.js";
import { startSlowUpstream } from "./slow-upstream.js";

const RUNS = Number(process.env.ABORT_RUNS ?? 10);
// Long enough (4 s) that a runtime still warming up cannot finish the stream before the client leaves.
const CHUNKS = 400;

/** A runtime serving the stream-abort Worker on a real loopback port; `log()` is everything it printed. */
interface Served {
  url: URL;
  log(): string;
  close(): Promise<void>;
}

let upstream: Awaited<ReturnType<typeof startSlowUpstream>>;
let collector: MockOtlp;

beforeAll(async () => {
  upstream = await startSlowUpstream(CHUNKS, 10);
  collector = await startMockOtlp();
});
afterAll(async () => void (await Promise.all([upstream?.close(), collector?.close()])));

async function serveInWorkerd(): Promise<Served> {
  let log = "";
  const worker = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.js", contents: await bundleWorker("test/workers/stream-abort.ts") }],
    compatibilityDate: "2026-05-01",
    bindings: { UPSTREAM_URL: upstream.url, OTLP_URL: `${collector.url}/v1/traces` },
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.on("data", (chunk) => (log += chunk));
      stderr.on("data", (chunk) => (log += chunk));
    },
  });
  return { url: await worker.ready, log: () => log, close: () => worker.dispose() };
}

async function serveInDeno(): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), "edge-tracer-abort-"));
  const bundle = (await bundleEntries(["test/streams/deno-entry.ts"], "esm")).get("test/streams/deno-entry.ts")!;
  await writeFile(join(dir, "server.mjs"), bundle);
  const child = spawn(denoBinary, ["run", "--no-prompt", "--allow-net=127.0.0.1", "--ignore-env", "server.mjs", upstream.url, `${collector.url}/v1/traces`], {
    cwd: dir,
    env: { PATH: process.env.PATH, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(dir, "deno-dir"), NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stderr.on("data", (chunk) => (log += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => (line.startsWith("{") ? resolve(JSON.parse(line).port) : (log += `${line}\n`)));
    child.once("exit", (code) => reject(new Error(`deno exited (${code}):\n${log}`)));
  });
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    log: () => log,
    close: async () => {
      child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Reads a few chunks of the streamed answer, then drops the connection the way a browser tab closing does. */
async function readThenAbort(url: URL): Promise<number> {
  const abort = new AbortController();
  const response = await fetch(url, { signal: abort.signal });
  const reader = response.body!.getReader();
  let bytes = 0;
  while (bytes < 200) {
    const { value, done } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
  }
  abort.abort();
  await reader.cancel().catch(() => {});
  return bytes;
}

// Deno: the proxy pattern only. With the SDK pattern, one disconnect in ten or so never reaches the body stream the
// handler built (the upstream then streams to its end, and the step ends ok): not yet explained, so not claimed.
describe.each([
  { runtime: "workerd", serve: serveInWorkerd, paths: ["/proxy", "/sdk"] },
  { runtime: "Deno", serve: serveInDeno, paths: ["/proxy"] },
])("$runtime", ({ serve, paths }) => {
  let served: Served;
  beforeAll(async () => {
    served = await serve();
    // One unmeasured round per path, so the first measured one does not pay for compiling the SDK.
    for (const path of paths) await readThenAbort(new URL(path, served.url));
  });
  afterAll(async () => served?.close());

  it.each(paths)(`a client that disconnects from %s, ${RUNS}/${RUNS} times: the step ends cancelled, the upstream is cancelled, no uncaught error, no parse problem`, async (path) => {
    const before = upstream.streams.length;
    // The warm-up rounds' steps are exported too: wait for them, so they are not counted here.
    await collector.waitFor((s) => s.spans.filter((span) => span.attributes["gen_ai.operation.name"] === "chat").length >= before);
    const spansBefore = collector.spans.length;
    for (let i = 0; i < RUNS; i++) {
      expect(await readThenAbort(new URL(path, served.url))).toBeGreaterThan(0);
      const stream = upstream.streams[before + i]!;
      // The upstream saw its connection closed well before the end: the cancel reached it.
      await Promise.race([stream.closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`upstream ${i} kept streaming`)), 5_000))]);
      expect(stream.cutByClient, `run ${i}: upstream wrote ${stream.written}/${CHUNKS}`).toBe(true);
    }
    const llmSteps = await collector.waitFor((s) => {
      const steps = s.spans.slice(spansBefore).filter((span) => span.attributes["gen_ai.operation.name"] === "chat");
      return steps.length >= RUNS && steps;
    }, 15_000);
    expect(llmSteps.map((span) => span.attributes["edge_tracer.step.status"])).toEqual(Array(RUNS).fill("cancelled"));
    for (const span of llmSteps) expect(span.attributes["edge_tracer.parse_problem"]).toBeUndefined();
    expect(served.log()).not.toMatch(/Uncaught|Network connection lost/);
  });
});
