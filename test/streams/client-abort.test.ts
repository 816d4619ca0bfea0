// A real HTTP client that disconnects mid-stream, not only a reader's cancel(): for the proxy and SDK patterns,
// in workerd, every abort must end the step `cancelled` with the upstream cancelled, no uncaught error and no
// parse problem from the cut-off last event.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Readable } from "node:stream";
import type { Miniflare } from "miniflare";
import { startMockOtlp, type MockOtlp } from "../mocks/mock-otlp.mjs";
import { bundleWorker } from "../support/workerd.js";
import { Miniflare as MiniflareClass } from "miniflare";
import { startSlowUpstream } from "./slow-upstream.js";

const RUNS = Number(process.env.ABORT_RUNS ?? 10);
const CHUNKS = 200;

let upstream: Awaited<ReturnType<typeof startSlowUpstream>>;
let collector: MockOtlp;
let worker: Miniflare;
let url: URL;
let workerLog = "";

beforeAll(async () => {
  upstream = await startSlowUpstream(CHUNKS, 5);
  collector = await startMockOtlp();
  worker = new MiniflareClass({
    modules: [{ type: "ESModule", path: "worker.js", contents: await bundleWorker("test/workers/stream-abort.ts") }],
    compatibilityDate: "2026-05-01",
    bindings: { UPSTREAM_URL: upstream.url, OTLP_URL: `${collector.url}/v1/traces` },
    // A real port for a real client; what the Worker prints is kept to look for uncaught errors.
    host: "127.0.0.1",
    port: 0,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      stdout.on("data", (chunk) => (workerLog += chunk));
      stderr.on("data", (chunk) => (workerLog += chunk));
    },
  });
  url = await worker.ready;
});

afterAll(async () => {
  await worker?.dispose();
  await Promise.all([upstream?.close(), collector?.close()]);
});

/** Reads a few chunks of the Worker's streamed answer, then aborts the connection the way a browser tab closing does. */
async function readThenAbort(path: string): Promise<number> {
  const abort = new AbortController();
  const response = await fetch(new URL(path, url), { signal: abort.signal });
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

describe.each(["/proxy", "/sdk"])("a client that disconnects from %s", (path) => {
  it(`${RUNS}/${RUNS} times: the step ends cancelled, the upstream is cancelled, no uncaught error, no parse problem`, async () => {
    const before = upstream.streams.length;
    const spansBefore = collector.spans.length;
    for (let i = 0; i < RUNS; i++) {
      expect(await readThenAbort(path)).toBeGreaterThan(0);
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
    expect(workerLog).not.toMatch(/Uncaught|Network connection lost/);
  });
});
