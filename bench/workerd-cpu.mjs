// CPU per invocation inside workerd, with and without the tracer: a Worker making three LLM calls with the openai
// SDK (two of 1.5 KB, one streamed in 50 chunks) against the loopback mock. Three modes: `plain` (no tracer),
// `record` (traced, the batch built, nothing sent) and `phospho` (traced, exported to a loopback sink).
// A second Worker makes one streamed call through the SDK (53 events), `plain`, `tap` (our pass-through stream alone,
// counting the chunks workerd reads) and `record`, to price each chunk.
// workerd freezes the clock while JavaScript runs (no CPU timer inside a Worker), so this reads the CPU time of the
// workerd process from /proc around N sequential invocations: JavaScript plus the runtime's own HTTP work.
import { readdirSync, readFileSync } from "node:fs";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { chatBody, FIFTY_WORDS } from "./overhead.mjs";
import { root, workerBuild } from "./size.mjs";

const worker = `
import OpenAI from "openai";
import { createTracer, phosphoExporter, withTracer } from "edge-tracer";

const request = ${chatBody};
let tracer;

async function threeCalls(fetchFn, env) {
  const openai = new OpenAI({ apiKey: "sk-bench", baseURL: env.LLM + "/openai/v1", fetch: fetchFn, maxRetries: 0 });
  const first = await openai.chat.completions.create(request);
  const second = await openai.chat.completions.create(request);
  const stream = await openai.chat.completions.create(
    { model: "gpt-4o-mini", messages: [{ role: "user", content: "Fifty words, please" }], stream: true, stream_options: { include_usage: true } },
    { headers: { "x-mock-reply": ${JSON.stringify(FIFTY_WORDS)} } },
  );
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  return first.choices[0].message.content.length + second.choices[0].message.content.length + text.length;
}

const discard = { name: "discard", export: async () => ({ sent: 0, retried: 0, dropped: 0, errors: [] }) };

export default {
  async fetch(req, env, ctx) {
    if (env.MODE === "plain") return new Response(String(await threeCalls((input, init) => fetch(input, init), env)));
    tracer ??= createTracer({
      exporters: [env.MODE === "phospho" ? phosphoExporter({ apiKey: "bench", projectId: "bench", baseUrl: env.SINK }) : discard],
      providers: [{ baseUrl: env.LLM + "/openai", kind: "openai" }],
    });
    return withTracer(ctx, async (t) => {
      const length = await threeCalls(t.fetch, env);
      t.log({ input: "three calls", output: String(length) });
      return new Response(String(length));
    }, tracer);
  },
};`;

const streamWorker = `
import OpenAI from "openai";
import { createTracer, withTracer } from "edge-tracer";
import { tapStream } from "./src/providers/stream-tap.ts";

const discard = { name: "discard", export: async () => ({ sent: 0, retried: 0, dropped: 0, errors: [] }) };
let tracer;

async function streamedCall(fetchFn, env) {
  const openai = new OpenAI({ apiKey: "sk-bench", baseURL: env.LLM + "/openai/v1", fetch: fetchFn, maxRetries: 0 });
  const stream = await openai.chat.completions.create(
    { model: "gpt-4o-mini", messages: [{ role: "user", content: "Fifty words, please" }], stream: true, stream_options: { include_usage: true } },
    { headers: { "x-mock-reply": ${JSON.stringify(FIFTY_WORDS)} } },
  );
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  return text;
}

export default {
  async fetch(req, env, ctx) {
    if (env.MODE === "plain") return new Response(await streamedCall((input, init) => fetch(input, init), env));
    if (env.MODE === "tap") {
      // The pass-through stream alone, counting the chunks workerd hands it.
      let chunks = 0;
      const tapped = async (input, init) => {
        const response = await fetch(input, init);
        return new Response(tapStream(response.body, () => chunks++, () => {}), response);
      };
      const text = await streamedCall(tapped, env);
      return new Response(text, { headers: { "x-chunks": String(chunks) } });
    }
    tracer ??= createTracer({ exporters: [discard], providers: [{ baseUrl: env.LLM + "/openai", kind: "openai" }] });
    return withTracer(ctx, async (t) => new Response(await streamedCall(t.fetch, env)), tracer);
  },
};`;

/** CPU seconds (user + system) used so far by the workerd process Miniflare started from this process. */
function workerdCpuSeconds() {
  const ticks = 100; // USER_HZ: /proc reports CPU time in 1/100 s on Linux
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (name === "workerd" && Number(fields[1]) === process.pid) return (Number(fields[11]) + Number(fields[12])) / ticks;
  }
  throw new Error("workerd process not found in /proc");
}

const sinkRequests = async (sink) => (await (await fetch(sink)).json()).requests;

async function until(predicate, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the exports");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** ms of workerd CPU per invocation in `mode`, over `count` sequential invocations after a warm-up. */
async function cpuPerInvocation(contents, servers, mode, count, warmup = 30) {
  const exporting = mode === "phospho";
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.js", contents }],
    compatibilityDate: "2026-05-01",
    bindings: { LLM: servers.llm, SINK: servers.sink, MODE: mode },
  });
  try {
    await mf.ready;
    const exportsBefore = await sinkRequests(servers.sink);
    const run = async (n) => {
      for (let i = 0; i < n; i++) await (await mf.dispatchFetch("http://bench.test/")).text();
      // Each exported invocation sends two requests (logs, steps) from waitUntil: their CPU counts too.
      if (exporting) await until(async () => (await sinkRequests(servers.sink)) >= exportsBefore + 2 * n);
    };
    await run(warmup);
    const before = workerdCpuSeconds();
    const exportsMid = await sinkRequests(servers.sink);
    for (let i = 0; i < count; i++) await (await mf.dispatchFetch("http://bench.test/")).text();
    if (exporting) await until(async () => (await sinkRequests(servers.sink)) >= exportsMid + 2 * count);
    return ((workerdCpuSeconds() - before) * 1000) / count;
  } finally {
    await mf.dispose();
  }
}

/** A bench Worker's source, bundled as wrangler would, with `edge-tracer` from src/. */
async function bundle(source) {
  const result = await build({ ...workerBuild, stdin: { contents: source, resolveDir: root, loader: "js" }, absWorkingDir: root, alias: { "edge-tracer": "./src/index.ts" } });
  return result.outputFiles[0].text;
}

/** CPU ms per invocation in each of `modes`, the median of `rounds` fresh workerd processes per mode, modes interleaved. */
async function medians(source, servers, modes, { rounds, count }) {
  const contents = await bundle(source);
  const samples = Object.fromEntries(modes.map((mode) => [mode, []]));
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) samples[mode].push(await cpuPerInvocation(contents, servers, mode, count));
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return Object.fromEntries(modes.map((mode) => [mode, median(samples[mode])]));
}

/** The three-call Worker in each mode, and the one-stream Worker's cost per chunk. */
export async function measureWorkerd(servers, { rounds = 5, count = 200 } = {}) {
  const threeCalls = await medians(worker, servers, ["plain", "record", "phospho"], { rounds, count });
  const stream = await medians(streamWorker, servers, ["plain", "tap", "record"], { rounds, count });
  return { ...threeCalls, stream: { ...stream, chunks: await chunksPerStream(streamWorker, servers) }, count, rounds };
}

/** How many chunks workerd hands the pass-through stream for the streamed call (the median of 5 calls). */
async function chunksPerStream(source, servers) {
  const mf = new Miniflare({ modules: [{ type: "ESModule", path: "worker.js", contents: await bundle(source) }], compatibilityDate: "2026-05-01", bindings: { LLM: servers.llm, MODE: "tap" } });
  try {
    const counts = [];
    for (let i = 0; i < 5; i++) {
      const response = await mf.dispatchFetch("http://bench.test/");
      await response.text();
      counts.push(Number(response.headers.get("x-chunks")));
    }
    return counts.sort((a, b) => a - b)[2];
  } finally {
    await mf.dispose();
  }
}
