// `node bench/stream-designs.mjs`: which way of handing a streamed (SSE) LLM reply to the caller costs least in workerd
// while keeping the tracer's contracts (issue 13). A design-exploration bench, not part of `npm run bench`: it measures
// prototypes (bench/stream-designs/designs.js), not the library; bench/patterns.mjs measures the library. Each design in bench/stream-designs/designs.js runs in a Worker
// (Miniflare) against a loopback OpenAI-shaped upstream in its own process (bench/upstream.mjs), in two
// patterns:
//   proxy  the Worker returns the (traced) upstream stream as its own response, read by a Node client;
//   sdk    the openai SDK consumes the stream inside the Worker.
// CPU: the workerd process's CPU time (per-thread se.sum_exec_runtime from /proc, ns resolution; utime+stime if that
// is missing) around blocks of calls, every design and the untraced run interleaved in each round, two stream
// lengths (50 and 500 content events) so the cost per call separates from the cost per chunk. The upstream paces
// its events 1 ms apart so each reaches the Worker on its own, as a model's tokens do. The added CPU is the median
// over rounds of (design − untraced) within the same round; the IQR over rounds shows the noise.
// Checks per design: bytes equal; the step parsed in full; time to first token recorded, and early; the caller sees
// its 1st and 10th token as early as untraced; reader.cancel() inside the Worker, a real client disconnecting and the
// SDK breaking out → step "cancelled" and the upstream connection closed before it sent everything; no parse problem
// for an event cut off by a cancel; an upstream drop → step "error". Then 10 real client aborts per recommended design.
// Options: --rounds=N (default 8), --pace=ms (default 1; 0: back to back), --parallel=N (default 4),
// --only=checks,cpu,aborts, --patterns=proxy,sdk, --designs=today,pipe+r,… (also the probes below). RAW=1 prints
// every block's figure to stderr.
import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { root, workerBuild } from "./size.mjs";
import { forkUpstream, sseEvents } from "./upstream.mjs";

const arg = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const ROUNDS = Number(arg("rounds") ?? 8);
const only = arg("only")?.split(",");
const runs = (part) => !only || only.includes(part);

const DESIGNS = {
  today: "A  pull stream, SSE+JSON parse per chunk (today)",
  refs: "E  pull stream, parse to 1st token, refs, parse at end",
  tee: "B  tee, caller gets a, b read natively, parse at end",
  pipe: "C  tee, both branches through native pipes",
  "pipe+r": "D1 C + JS reader on b until 1st token, then native",
  "pipe+3": "D2 C + 3rd tee branch read by JS until 1st token",
  sink: "CD tee, native pipe to caller, b piped into a JS sink",
  byob: "CD tee, native pipes, b read by JS readAtLeast(16 KB)",
};
const PROBES = {
  "probe-pipe": "P1 probe: body → native pipe → caller, nothing recorded",
  "probe-tee": "P2 probe: tee, caller gets a, b → native pipe → arrayBuffer",
  byob4k: "CD byob, readAtLeast(4 KB)",
  "byob-b": "CD byob, readAtLeast(4 KB) on branch b itself, no pipe (starves a)",
};
if (arg("designs")) {
  const chosen = arg("designs").split(",");
  for (const key of Object.keys(DESIGNS)) if (!chosen.includes(key)) delete DESIGNS[key];
  for (const key of chosen) if (PROBES[key]) DESIGNS[key] = PROBES[key];
}
const RECOMMENDED = ["pipe+r", "byob"];
// tee (B) holds the caller's bytes back until the stream ends (see the checks): its CPU through the SDK means nothing.
const SDK_SKIP = ["tee"];
const PATTERNS = arg("patterns")?.split(",") ?? ["proxy", "sdk"];
const SHORT = 50;
const LONG = 500;
// The upstream paces its events (PACE ms apart, as a model streams tokens) so each reaches the Worker on its own: sent
// back to back (--pace=0), workerd coalesces them in larger reads wherever a branch is read natively, which flatters
// the tee designs. PARALLEL calls at a time keep the wall time down.
const PACE = Number(arg("pace") ?? 1);
const PARALLEL = Number(arg("parallel") ?? (PACE ? 4 : 1));
const CALLS = PACE ? { [SHORT]: 8, [LONG]: 4 } : { [SHORT]: 16, [LONG]: 4 }; // per block

const print = (line = "") => console.log(line);
const pad = (text, width) => String(text).padEnd(width);
const lpad = (text, width) => String(text).padStart(width);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round(q * (sorted.length - 1)))];
};
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// ---- workerd's CPU ----
function workerdPid() {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (name === "workerd" && ppid === process.pid) return entry;
  }
  throw new Error("workerd process not found in /proc");
}
/** ms of CPU used so far by the process (all its live threads), ns resolution where /proc/<pid>/task/<t>/sched exists. */
function cpuReader(pid) {
  const precise = (() => {
    try {
      return /se\.sum_exec_runtime/.test(readFileSync(`/proc/${pid}/sched`, "utf8"));
    } catch {
      return false;
    }
  })();
  if (!precise) {
    return () => {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    };
  }
  return () => {
    let sum = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        sum += Number(/se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(readFileSync(`/proc/${pid}/task/${task}/sched`, "utf8"))[1]);
      } catch {}
    }
    return sum;
  };
}

// ---- setup ----
const started = Date.now();
const upstream = await forkUpstream();
const bundled = await build({ ...workerBuild, entryPoints: [`${root}/bench/stream-designs/worker.js`], absWorkingDir: root });
const runtimeLog = [];
const mf = new Miniflare({
  modules: [{ type: "ESModule", path: "worker.js", contents: bundled.outputFiles[0].text }],
  compatibilityDate: "2026-05-01",
  bindings: { UP: upstream.url },
  handleRuntimeStdio(stdout, stderr) {
    for (const stream of [stdout, stderr]) stream.on("data", (data) => runtimeLog.push(...String(data).split("\n").filter(Boolean)));
  },
});
const base = String(await mf.ready);
const pid = workerdPid();
const cpuMs = cpuReader(pid);

let ids = 0;
const uid = (tag) => `${tag}-${++ids}-${Date.now()}`;
const worker = (path) => new URL(path, base);
const debug = (...args) => process.env.DEBUG && console.error(...args);
const json = async (url) => (await fetch(url, { signal: AbortSignal.timeout(10_000) })).json();
const expected = (n) => Buffer.from(sseEvents(n).join(""));
const expectedText = (n) => Array.from({ length: n }, (_, i) => (i ? ` word${i + 1}` : "word1")).join("");

/** The step of request `id` once it has ended (or as it is after `timeoutMs`). */
async function stepOf(id, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const step = await json(worker(`/step?id=${id}`));
    if ((step && step.status !== "open") || Date.now() > deadline) return step;
    await sleep(10);
  }
}
/** Whether the upstream saw its connection closed before it sent everything (waits for either). */
async function upstreamCancelled(id, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await json(`${upstream.url}/status?id=${id}`);
    if (status?.closedEarly) return { cancelled: true, sent: status.sent, total: status.total };
    if (status?.complete || Date.now() > deadline) return { cancelled: false, sent: status?.sent, total: status?.total };
    await sleep(10);
  }
}

/** A real HTTP client (Node fetch) that aborts the Worker's streamed response once it has about half the bytes. */
async function clientAbort(design, n = 100, delay = 2) {
  const id = uid("abort");
  const half = expected(n).length / 2;
  const controller = new AbortController();
  // Each event in two writes: the client stops in the middle of one, so the tracer has a cut-off last event.
  const response = await fetch(worker(`/proxy?d=${encodeURIComponent(design)}&n=${n}&delay=${delay}&split=1&id=${id}`), { signal: controller.signal });
  let received = 0;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response.body) {
      received += chunk.byteLength;
      if (received >= half && !decoder.decode(chunk, { stream: true }).endsWith("\n\n")) controller.abort();
    }
  } catch {}
  const [step, up] = await Promise.all([stepOf(id, 1500), upstreamCancelled(id)]);
  return { step, up, received };
}

const yes = (value) => (value ? "yes" : "NO");
/** The step's status, and how many events upstream had sent when its connection closed. */
const cancelDetail = (step, up) => `${step?.status} ${up.cancelled ? `${up.sent}/${up.total}` : "not closed"}`;

// ---- correctness ----
async function checks(design) {
  const r = {};
  debug("checks", design);
  // proxy: the caller's bytes, the step, no delay
  {
    const id = uid("bytes");
    const bytes = Buffer.from(await (await fetch(worker(`/proxy?d=${encodeURIComponent(design)}&n=${SHORT}&id=${id}`))).arrayBuffer());
    const step = await stepOf(id);
    r.bytes = bytes.equals(expected(SHORT));
    r.parsed = step?.status === "ok" && step.complete && step.events === SHORT + 3 && step.text === expectedText(SHORT) && !step.parseProblem;
  }
  // time to first token on a paced stream (an event every 5 ms): recorded, and near the start, not at the end
  {
    const id = uid("ttft");
    await (await fetch(worker(`/proxy?d=${encodeURIComponent(design)}&n=30&delay=5&id=${id}`))).arrayBuffer();
    const step = await stepOf(id);
    r.ttft = step?.ttft;
    r.ttftOk = step?.ttft !== undefined && step.ttft < 60;
  }
  // the Worker's own reader.cancel() in the middle of an event, after 10 chunks of a paced stream
  {
    const id = uid("cancel");
    await (await fetch(worker(`/inner?d=${encodeURIComponent(design)}&n=200&delay=2&split=1&after=10&id=${id}`))).arrayBuffer();
    const [step, up] = await Promise.all([stepOf(id), upstreamCancelled(id)]);
    r.readerCancel = step?.status === "cancelled" && up.cancelled;
    r.readerCancelDetail = cancelDetail(step, up);
    r.cancelParse = !step?.parseProblem;
    if (step?.parseProblem) r.parseProblem = `after reader.cancel(): ${step.parseProblem}`;
  }
  // how long after a reader.cancel() the step ends, when the upstream is silent for 150 ms after it
  {
    const id = uid("late");
    const { cancelMs } = await (await fetch(worker(`/inner?d=${encodeURIComponent(design)}&n=5&delay=150&split=1&after=3&id=${id}`))).json();
    const step = await stepOf(id);
    r.cancelSeen = step?.status === "cancelled" ? `${step.endMs - cancelMs} ms` : step?.status;
  }
  // the consumer stops right after [DONE] (Mistral's SDK does), 30 ms before the body ends: a normal end
  {
    const id = uid("done");
    await (await fetch(worker(`/inner?d=${encodeURIComponent(design)}&n=${SHORT}&delay=1&enddelay=30&untilDone=1&id=${id}`))).arrayBuffer();
    const step = await stepOf(id);
    r.afterDone = step?.status === "ok" && step.complete && step.events === SHORT + 3;
    r.afterDoneDetail = `${step?.status} ${step?.events} ev`;
  }
  // a real client disconnecting halfway
  {
    const { step, up } = await clientAbort(design);
    r.clientCancel = step?.status === "cancelled" && up.cancelled;
    r.clientCancelDetail = cancelDetail(step, up);
    r.cancelParse &&= !step?.parseProblem;
    if (step?.parseProblem) r.parseProblem = `${r.parseProblem ? `${r.parseProblem}; ` : ""}after a client disconnect: ${step.parseProblem}`;
  }
  // the openai SDK inside the Worker: all of it, then breaking out after 10 chunks
  {
    const id = uid("sdk");
    const text = await (await fetch(worker(`/sdk?d=${encodeURIComponent(design)}&n=${SHORT}&id=${id}`))).text();
    const step = await stepOf(id);
    r.sdk = text === expectedText(SHORT) && step?.status === "ok" && step.text === text && !step.parseProblem;
    const idBreak = uid("sdkbreak");
    await (await fetch(worker(`/sdk?d=${encodeURIComponent(design)}&n=200&delay=2&break=10&id=${idBreak}`))).text();
    const [stepBreak, up] = await Promise.all([stepOf(idBreak), upstreamCancelled(idBreak)]);
    r.sdkBreak = stepBreak?.status === "cancelled" && up.cancelled;
    r.sdkBreakDetail = cancelDetail(stepBreak, up);
  }
  r.latency = { proxy: await callerTokens("proxy", design), sdk: await callerTokens("sdk", design) };
  // upstream drops the connection after 20 events
  {
    const id = uid("cut");
    await fetch(worker(`/proxy?d=${encodeURIComponent(design)}&n=100&delay=1&cut=20&id=${id}`)).then((response) => response.arrayBuffer()).catch(() => {});
    const step = await stepOf(id);
    r.cut = step?.status;
  }
  return r;
}

/**
 * When the caller sees the 1st and the 10th token, on a stream paced at 5 ms per event (the first token is the second
 * event): in the proxy pattern by the Node client's clock, in the sdk pattern by the Worker's (the SDK's content
 * chunks). Median of 3. A design that holds the caller's bytes back shows here.
 */
async function callerTokens(pattern, design) {
  const firsts = [];
  const tenths = [];
  for (let i = 0; i < 3; i++) {
    const url = worker(`/${pattern}?d=${encodeURIComponent(design)}&n=30&delay=5`);
    if (pattern === "sdk") {
      const response = await fetch(url);
      await response.text();
      firsts.push(Number(response.headers.get("x-first-token-ms")));
      tenths.push(Number(response.headers.get("x-tenth-token-ms")));
      continue;
    }
    const start = performance.now();
    const response = await fetch(url);
    let text = "";
    let first;
    let tenth;
    const decoder = new TextDecoder();
    for await (const chunk of response.body) {
      text += decoder.decode(chunk, { stream: true });
      if (first === undefined && text.includes('"content":"word1"')) first = performance.now() - start;
      if (tenth === undefined && text.includes('"content":" word10"')) tenth = performance.now() - start;
    }
    firsts.push(first);
    tenths.push(tenth);
  }
  return { first: Math.round(median(firsts)), tenth: Math.round(median(tenths)) };
}

// ---- CPU ----
async function call(pattern, design, n) {
  const response = await fetch(worker(`/${pattern}?d=${encodeURIComponent(design)}&n=${n}${PACE ? `&delay=${PACE}` : ""}`));
  await response.arrayBuffer();
}
/** µs of workerd CPU per call over CALLS[n] calls, PARALLEL at a time. */
async function block(pattern, design, n) {
  const count = CALLS[n];
  const before = cpuMs();
  for (let i = 0; i < count; i += PARALLEL) await Promise.all(Array.from({ length: Math.min(PARALLEL, count - i) }, () => call(pattern, design, n)));
  await sleep(3); // the last call's end-of-stream parse runs in waitUntil
  return ((cpuMs() - before) * 1000) / count;
}
async function measureCpu() {
  const configs = [];
  for (const pattern of PATTERNS) {
    for (const design of ["plain", ...Object.keys(DESIGNS)]) {
      if (pattern === "sdk" && SDK_SKIP.includes(design)) continue;
      for (const n of [SHORT, LONG]) configs.push({ pattern, design, n });
    }
  }
  for (const { pattern, design, n } of configs) await block(pattern, design, n); // warm-up
  const samples = new Map(configs.map((c) => [`${c.pattern} ${c.design} ${c.n}`, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order each round, so no design always runs right after another
    const order = configs.map((_, i) => configs[(i + round * 3) % configs.length]);
    for (const { pattern, design, n } of order) samples.get(`${pattern} ${design} ${n}`).push(await block(pattern, design, n));
  }
  if (process.env.RAW) for (const [key, values] of samples) console.error(key, values.map(Math.round).join(" "));
  return samples;
}

// ---- run ----
print(`stream designs in workerd (Miniflare ${JSON.parse(readFileSync(`${root}/node_modules/miniflare/package.json`, "utf8")).version}) · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model.trim()} · load ${os.loadavg()[0].toFixed(2)}`);
const chunks = {};
for (const n of [SHORT, LONG]) chunks[n] = median(await Promise.all([0, 1, 2].map(async () => (await json(worker(`/count?n=${n}${PACE ? `&delay=${PACE}` : ""}`))).chunks)));
print(`upstream: ${SHORT} and ${LONG} content events (+ role, finish, usage, [DONE]), each its own write, ${PACE ? `${PACE} ms apart` : "back to back"}; workerd hands a JS reader ${chunks[SHORT]} and ${chunks[LONG]} chunks`);

const results = {};
const plainLatency = {};
if (runs("checks")) {
  for (const pattern of ["proxy", "sdk"]) plainLatency[pattern] = await callerTokens(pattern, "plain");
  for (const design of Object.keys(DESIGNS)) results[design] = await checks(design);
}

let samples;
if (runs("cpu")) samples = await measureCpu();

if (samples) {
  print();
  print(`CPU of the workerd process, µs per call: median over ${ROUNDS} rounds of (design − untraced) in the same round; blocks of ${CALLS[SHORT]} × ${SHORT}-event and ${CALLS[LONG]} × ${LONG}-event calls, ${PARALLEL} at a time`);
  print(`per chunk = extra CPU per extra chunk between the two lengths (${chunks[LONG] - chunks[SHORT]} chunks, ${LONG - SHORT} events); per call = the ${SHORT}-event cost minus ${chunks[SHORT]} chunks of that`);
  print(`targets: proxy ≤ 3 µs per chunk, sdk ≤ 10 µs per chunk`);
  for (const pattern of PATTERNS) {
    const plain = (n) => samples.get(`${pattern} plain ${n}`);
    print();
    print(`${pattern}: untraced ${Math.round(median(plain(SHORT)))} µs (${SHORT} events), ${Math.round(median(plain(LONG)))} µs (${LONG} events) per call`);
    print(`  ${pad("design", 10)} ${lpad("+@50", 7)} ${lpad("+@500", 8)} ${lpad("per call", 9)} ${lpad("per chunk", 10)} ${lpad("(IQR)", 13)} ${lpad("per event", 10)} ${lpad("ratio@50", 9)} ${lpad("ratio@500", 10)}`);
    for (const design of Object.keys(DESIGNS)) {
      if (!samples.has(`${pattern} ${design} ${SHORT}`)) {
        print(`  ${pad(`${DESIGNS[design].slice(0, 2)} ${design}`, 10)} not measured: it holds the caller's bytes back until the stream ends`);
        continue;
      }
      const own = (n) => samples.get(`${pattern} ${design} ${n}`);
      const added = (n) => own(n).map((value, round) => value - plain(n)[round]);
      const a50 = added(SHORT);
      const a500 = added(LONG);
      // per round, then the median and the interquartile range over rounds
      const perChunk = a50.map((value, round) => (a500[round] - value) / (chunks[LONG] - chunks[SHORT]));
      const perCall = a50.map((value, round) => value - perChunk[round] * chunks[SHORT]);
      const ratio = (n) => (median(own(n)) / median(plain(n))).toFixed(2);
      const iqr = (values) => `${quantile(values, 0.25).toFixed(1)}…${quantile(values, 0.75).toFixed(1)}`;
      print(`  ${pad(`${DESIGNS[design].slice(0, 2)} ${design}`, 10)} ${lpad(Math.round(median(a50)), 7)} ${lpad(Math.round(median(a500)), 8)} ${lpad(Math.round(median(perCall)), 9)} ${lpad(median(perChunk).toFixed(1), 10)} ${lpad(iqr(perChunk), 13)} ${lpad((median(perChunk) * (chunks[LONG] - chunks[SHORT]) / (LONG - SHORT)).toFixed(1), 10)} ${lpad(`${ratio(SHORT)}×`, 9)} ${lpad(`${ratio(LONG)}×`, 10)}`);
    }
  }
}

if (runs("checks")) {
  print();
  print("Contracts (proxy unless noted): bytes = the caller got exactly the upstream bytes; parsed = step ok, 53 events, text, [DONE];");
  print("ttft = first-token time recorded, ms on a stream paced at 5 ms per event; reader.cancel() / client disconnect / sdk break →");
  print("step cancelled and the upstream connection closed early (events sent/of); no parse problem after a cancel; upstream drop → step status");
  const tokens = ({ first, tenth }) => `${first}/${tenth}`;
  print(`caller sees tokens 1/10 = ms until the caller sees the 1st and the 10th token on that paced stream (untraced: proxy ${tokens(plainLatency.proxy)}, sdk ${tokens(plainLatency.sdk)})`);
  print("stop at [DONE] = the consumer cancels right after reading [DONE], 30 ms before the body ends → step ok with all 53 events");
  print("cancel seen = how long after reader.cancel() the step ends when the upstream then sends nothing for 150 ms");
  print(`  ${pad("design", 8)} ${pad("bytes", 6)} ${pad("parsed", 7)} ${pad("ttft", 9)} ${pad("caller sees tokens 1/10", 27)} ${pad("stop at [DONE]", 19)} ${pad("cancel seen", 12)} ${pad("reader.cancel()", 24)} ${pad("client disconnect", 24)} ${pad("sdk all", 8)} ${pad("sdk break", 24)} ${pad("no parse problem", 17)} drop`);
  for (const [design, r] of Object.entries(results)) {
    const ttft = r.ttft === undefined ? "NO" : `${r.ttftOk ? "yes" : "NO"} ${r.ttft}`;
    const late = (pattern) => {
      const { first, tenth } = r.latency[pattern];
      const plain = plainLatency[pattern];
      return `${first > plain.first + 10 || tenth > plain.tenth + 10 ? "LATE " : ""}${first}/${tenth}`;
    };
    print(`  ${pad(design, 8)} ${pad(yes(r.bytes), 6)} ${pad(yes(r.parsed), 7)} ${pad(ttft, 9)} ${pad(`proxy ${late("proxy")} sdk ${late("sdk")}`, 27)} ${pad(`${yes(r.afterDone)} ${r.afterDoneDetail}`, 19)} ${pad(r.cancelSeen, 12)} ${pad(`${yes(r.readerCancel)} ${r.readerCancelDetail}`, 24)} ${pad(`${yes(r.clientCancel)} ${r.clientCancelDetail}`, 24)} ${pad(yes(r.sdk), 8)} ${pad(`${yes(r.sdkBreak)} ${r.sdkBreakDetail}`, 24)} ${pad(yes(r.cancelParse), 17)} ${r.cut}`);
    if (r.parseProblem) print(`           parse problem ${r.parseProblem}`);
  }
}

if (runs("aborts")) {
  print();
  print("A real client (Node fetch + AbortController) aborting the Worker's streamed response halfway, 10 times per design:");
  for (const design of [...RECOMMENDED, "today"].filter((design) => DESIGNS[design])) {
    const logBefore = runtimeLog.length;
    const { unhandled: before } = await json(worker("/unhandled"));
    const outcomes = [];
    for (let i = 0; i < 10; i++) outcomes.push(await clientAbort(design));
    await sleep(100);
    const { unhandled: after } = await json(worker("/unhandled"));
    const log = runtimeLog.slice(logBefore);
    const count = (predicate) => outcomes.filter(predicate).length;
    print(`  ${pad(design, 8)} upstream closed early ${count((o) => o.up.cancelled)}/10 (sent ${outcomes.map((o) => o.up.sent).join(",")} of ${outcomes[0].up.total} events); step cancelled ${count((o) => o.step?.status === "cancelled")}/10; parse problems ${count((o) => o.step?.parseProblem)}; unhandled rejections ${after.length - before.length}; runtime log lines ${log.length}${log.length ? `, e.g. ${JSON.stringify(log.find((line) => /uncaught|error/i.test(line)) ?? log[0]).slice(0, 160)}` : ""}`);
    const partial = outcomes.map((o) => o.step?.events ?? 0);
    print(`           events the tracer parsed: ${partial.join(",")}; the client had ${Math.round(outcomes[0].received / 1024)} KB of ${Math.round(expected(100).length / 1024)} KB`);
  }
}

print();
print(`(${Math.round((Date.now() - started) / 1000)} s)`);
await mf.dispose();
await upstream.close();
