// What the tracer costs the caller in Node, in one process: CPU per call (raw fetch vs traced fetch), time to
// first token, serialization and export CPU per invocation, and the heap after 10,000 invocations.
// The loopback servers run in another process (servers.mjs), so the CPU measured here is the caller's alone.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { root } from "./size.mjs";

/** edge-tracer from src/, bundled as the Worker bundles are, imported into this process. */
export async function loadLibrary() {
  const dir = await mkdtemp(join(tmpdir(), "edge-tracer-bench-"));
  const outfile = join(dir, "edge-tracer.mjs");
  await build({ entryPoints: [join(root, "src/index.ts")], bundle: true, format: "esm", platform: "browser", conditions: ["workerd", "worker", "browser"], outfile, logLevel: "silent" });
  const lib = await import(pathToFileURL(outfile).href);
  await rm(dir, { recursive: true, force: true });
  return lib;
}

const filler = (n) => "The otter floats on a quiet river and holds hands with a friend. ".repeat(Math.ceil(n / 64)).slice(0, n);
/** A 1.5 KB chat request, as the openai SDK sends it. */
export const chatBody = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "system", content: filler(680) }, { role: "user", content: filler(680) }], temperature: 0.2 });
export const FIFTY_WORDS = Array.from({ length: 50 }, (_, i) => `word${i + 1}`).join(" ");
const streamBody = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Fifty words, please" }], stream: true, stream_options: { include_usage: true } });
const headers = { "content-type": "application/json", authorization: "Bearer sk-bench" };
const streamHeaders = { ...headers, "x-mock-reply": FIFTY_WORDS };

/** The caller reads the whole answer, as an SDK does. */
export async function callJson(fetchFn, base) {
  const response = await fetchFn(`${base}/openai/v1/chat/completions`, { method: "POST", headers, body: chatBody });
  return response.json();
}
export async function callStream(fetchFn, base) {
  const response = await fetchFn(`${base}/openai/v1/chat/completions`, { method: "POST", headers: streamHeaders, body: streamBody });
  const reader = response.body.getReader();
  while (!(await reader.read()).done);
}

/**
 * An upstream in memory: the same answers as the mock, with no network, to show the tracer's own cost. A streamed
 * answer has `words` content events, each in a chunk of its own.
 */
export function memoryUpstream(words = 50) {
  const encoder = new TextEncoder();
  const json = JSON.stringify({
    id: "chatcmpl-1", object: "chat.completion", created: 1, model: "gpt-4o-mini-2024-07-18",
    choices: [{ index: 0, message: { role: "assistant", content: `Echo: ${filler(680)}` }, finish_reason: "stop" }],
    usage: { prompt_tokens: 250, completion_tokens: 125, total_tokens: 375 },
  });
  const chunk = (delta, finish = null) => ({ id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini-2024-07-18", choices: [{ index: 0, delta, finish_reason: finish }], usage: null });
  const events = [chunk({ role: "assistant", content: "" }), ...Array.from({ length: words }, (_, i) => chunk({ content: i ? ` word${i + 1}` : "word1" })), chunk({}, "stop"),
    { ...chunk({}), choices: [], usage: { prompt_tokens: 3, completion_tokens: 50, total_tokens: 53 } }];
  const sse = [...events.map((event) => encoder.encode(`data: ${JSON.stringify(event)}\n\n`)), encoder.encode("data: [DONE]\n\n")];
  return async (_input, init) => {
    if (!String(init?.body).includes('"stream":true')) return new Response(json, { headers: { "content-type": "application/json" } });
    let i = 0;
    const body = new ReadableStream({ pull: (controller) => (i < sse.length ? controller.enqueue(sse[i++]) : controller.close()) });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  };
}
export const SSE_EVENTS = 53; // role chunk, 50 content chunks, finish chunk, usage chunk (plus [DONE])
/** The long stream: 500 content events. Two lengths tell the cost of one more event from the cost of the call. */
export const LONG_WORDS = 500;

const micros = (usage) => usage.user + usage.system;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Waits until every step of `invocations` has ended (the response copy is parsed after the caller has it). */
async function settled(invocations) {
  for (let i = 0; i < 1000 && invocations.some((inv) => inv.collector.steps.some((step) => step.status === "open")); i++) await tick();
}

/**
 * CPU µs per call, raw vs traced, as the median of `rounds` alternating blocks of `perRound` calls. Each traced
 * call runs in its own invocation (as a request with one call does), its step ended before the clock stops.
 */
async function cpuPerCall(tracer, call, { rounds = 12, perRound = 150, warmup = 300 } = {}) {
  const raw = (input, init) => globalThis.fetch(input, init);
  const rawBlock = async (n) => {
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) await call(raw);
    await tick();
    return micros(process.cpuUsage(start)) / n;
  };
  const tracedBlock = async (n) => {
    const start = process.cpuUsage();
    const invocations = [];
    for (let i = 0; i < n; i++) {
      const invocation = tracer.startInvocation();
      invocations.push(invocation);
      await call(invocation.fetch);
    }
    await settled(invocations);
    return micros(process.cpuUsage(start)) / n;
  };
  await rawBlock(warmup);
  await tracedBlock(warmup);
  const rawRounds = [];
  const tracedRounds = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2) {
      rawRounds.push(await rawBlock(perRound));
      tracedRounds.push(await tracedBlock(perRound));
    } else {
      tracedRounds.push(await tracedBlock(perRound));
      rawRounds.push(await rawBlock(perRound));
    }
  }
  return { raw: median(rawRounds), traced: median(tracedRounds) };
}

/** Time to the first content chunk, as the caller sees it, raw and traced, alternating. */
async function timeToFirstToken(tracer, base, samples = 80) {
  const firstToken = async (fetchFn) => {
    const started = performance.now();
    const response = await fetchFn(`${base}/openai/v1/chat/completions`, { method: "POST", headers: streamHeaders, body: streamBody });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    let at;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      // The second event is the first with content (the first only says the role).
      if (at === undefined && text.split("\n\n").length > 2) at = performance.now() - started;
    }
    return at;
  };
  const raw = [];
  const traced = [];
  for (let i = 0; i < 10; i++) await firstToken((input, init) => globalThis.fetch(input, init));
  for (let i = 0; i < samples; i++) {
    raw.push(await firstToken((input, init) => globalThis.fetch(input, init)));
    traced.push(await firstToken(tracer.startInvocation().fetch));
  }
  const describe = (values) => ({ median: median(values), p10: quantile(values, 0.1), p90: quantile(values, 0.9) });
  // The noise floor: how far apart two halves of the same raw samples land.
  const noise = Math.abs(median(raw.filter((_, i) => i % 2)) - median(raw.filter((_, i) => !(i % 2))));
  return { raw: describe(raw), traced: describe(traced), noise };
}

/** One invocation with 10 steps: 7 chat calls, 1 streamed chat call, 1 custom step, and a log with 1 manual step. */
async function tenSteps(invocation, base) {
  for (let i = 0; i < 7; i++) await callJson(invocation.fetch, base);
  await callStream(invocation.fetch, base);
  await invocation.step("retrieve", async () => ["doc 1", "doc 2", "doc 3"], { input: "otters" });
  invocation.log({ input: "Tell me about otters", output: "Otters hold hands.", metadata: { user_id: "u1" }, steps: [{ name: "compose prompt", input: "otters", output: filler(300) }] });
}

/** CPU µs of flush() alone (batch, JSON, protobuf, and the requests) per invocation of 10 steps. */
async function exportCpu(lib, exportFetch, sink, invocations = 300) {
  const tracer = lib.createTracer({
    exporters: [lib.phosphoExporter({ apiKey: "bench", projectId: "bench", baseUrl: sink })],
    fetch: exportFetch,
    providers: [{ baseUrl: "http://upstream.bench/openai", kind: "openai" }],
  });
  const upstream = memoryUpstream();
  const realFetch = globalThis.fetch;
  let total = 0;
  for (let i = 0; i < invocations + 30; i++) {
    const invocation = tracer.startInvocation();
    globalThis.fetch = upstream;
    try {
      await tenSteps(invocation, "http://upstream.bench");
    } finally {
      globalThis.fetch = realFetch;
    }
    await settled([invocation]);
    const start = process.cpuUsage();
    await invocation.flush();
    if (i >= 30) total += micros(process.cpuUsage(start));
  }
  return total / invocations;
}

/** heapUsed after a full GC at checkpoints over `count` invocations (one call, a log, a phospho export each). */
async function heapOver(lib, count = 10_000) {
  v8.setFlagsFromString("--expose-gc");
  const gc = globalThis.gc ?? runInNewContext("gc");
  const collect = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await tick();
    }
    return process.memoryUsage().heapUsed;
  };
  const exportFetch = async () => new Response('{"logged_events":[]}', { headers: { "content-type": "application/json" } });
  const tracer = lib.createTracer({
    exporters: [lib.phosphoExporter({ apiKey: "bench", projectId: "bench", baseUrl: "http://sink.bench" })],
    fetch: exportFetch,
    providers: [{ baseUrl: "http://upstream.bench/openai", kind: "openai" }],
  });
  const realFetch = globalThis.fetch;
  globalThis.fetch = memoryUpstream();
  const checkpoints = [];
  try {
    const run = async (n) => {
      for (let i = 0; i < n; i++) {
        const invocation = tracer.startInvocation();
        const answer = await callJson(invocation.fetch, "http://upstream.bench");
        invocation.log({ input: `question ${i}`, output: answer.choices[0].message.content });
        await invocation.flush();
      }
    };
    await run(1_000); // warm-up: JIT, lazily created module state
    checkpoints.push({ after: 0, heap: await collect() });
    for (let done = 0; done < count; ) {
      await run(count / 4);
      done += count / 4;
      checkpoints.push({ after: done, heap: await collect() });
    }
  } finally {
    globalThis.fetch = realFetch;
  }
  return checkpoints;
}

/** Runs every measurement; `servers` from servers.mjs. */
export async function measureOverhead(servers, log) {
  const lib = await loadLibrary();
  const silent = { name: "discard", export: async () => ({ sent: 0, retried: 0, dropped: 0, errors: [] }) };
  const tracerFor = (base) => lib.createTracer({ exporters: [silent], providers: [{ baseUrl: `${base}/openai`, kind: "openai" }] });
  const results = {};

  log("  CPU per call over loopback…");
  const loopback = tracerFor(servers.llm);
  results.json = await cpuPerCall(loopback, (fetchFn) => callJson(fetchFn, servers.llm));
  results.stream = await cpuPerCall(loopback, (fetchFn) => callStream(fetchFn, servers.llm));

  log("  CPU per call with an in-memory upstream…");
  const memory = tracerFor("http://upstream.bench");
  const realFetch = globalThis.fetch;
  globalThis.fetch = memoryUpstream();
  try {
    results.jsonMemory = await cpuPerCall(memory, (fetchFn) => callJson(fetchFn, "http://upstream.bench"), { rounds: 12, perRound: 500, warmup: 1000 });
    results.streamMemory = await cpuPerCall(memory, (fetchFn) => callStream(fetchFn, "http://upstream.bench"), { rounds: 12, perRound: 300, warmup: 600 });
    globalThis.fetch = memoryUpstream(LONG_WORDS);
    results.streamMemoryLong = await cpuPerCall(memory, (fetchFn) => callStream(fetchFn, "http://upstream.bench"), { rounds: 12, perRound: 60, warmup: 120 });
  } finally {
    globalThis.fetch = realFetch;
  }

  log("  time to first token…");
  results.ttft = await timeToFirstToken(tracerFor(servers.paced), servers.paced);

  log("  export CPU per invocation…");
  const before = await (await fetch(servers.sink)).json();
  results.exportLoopback = await exportCpu(lib, (input, init) => realFetch(input, init), servers.sink);
  const after = await (await fetch(servers.sink)).json();
  results.exportBytes = (after.bytes - before.bytes) / 330;
  results.exportRequests = (after.requests - before.requests) / 330;
  results.exportSerialize = await exportCpu(lib, async () => new Response('{"logged_events":[]}'), "http://sink.bench");

  log("  heap over 10,000 invocations…");
  results.heap = await heapOver(lib);
  return results;
}
