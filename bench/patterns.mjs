// What edge-tracer costs in the patterns users write, in workerd (through Miniflare) and in Deno (Deno.serve), with
// the real library: bench/patterns/handler.js bundled with esbuild, `edge-tracer` resolved to src/index.ts.
// Every figure is untraced vs traced, measured in the same run:
//   - streamed patterns (proxy, openai SDK, Vercel AI SDK): the runtime process's CPU per call, at two stream
//     lengths (SHORT and LONG content events) so the cost per chunk separates from the cost per call;
//   - non-streamed: the CPU of an invocation making one chat call through the openai SDK;
//   - time to first token as the client sees it, with a second untraced series as the noise floor.
// CPU: the process's CPU time, summed over its threads from /proc/<pid>/task/<tid>/sched (se.sum_exec_runtime, ns;
// utime+stime in 10 ms ticks if that is missing) from the start of a block of calls to the start of that process's
// next block: JavaScript, garbage collection and the runtime's own HTTP work, client and server side. workerd stops
// its clocks while JavaScript runs, so the CPU cannot be read from inside.
// Each configuration (pattern × untraced/traced × stream length) has a process of its own. The untraced and traced
// processes of a pattern and length take turns, one block each per round, for `rounds` rounds; the added CPU is the
// median over rounds of (traced − untraced) within the same round, and its interquartile range (IQR) shows the noise.
// The upstream is bench/upstream.mjs in its own process (its CPU is not counted), on 127.0.0.1, pacing its events
// PACE ms apart so each reaches the runtime on its own, as a model's tokens do. Nothing leaves the machine: the only
// addresses used are 127.0.0.1 (Deno runs with --allow-net=127.0.0.1).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { root, workerBuild } from "./size.mjs";
import { forkUpstream } from "./upstream.mjs";

export const SHORT = 50;
export const LONG = 500;
export const STREAMED = { proxy: "proxy: returns the provider's stream", sdk: "openai SDK: for await, then answers", ai: "AI SDK: streamText → text stream" };
const PACE = 1;
/**
 * Calls at a time: 4, or 2 for the AI SDK in workerd, whose CPU per event would otherwise keep workerd's one JavaScript
 * thread busy (a busy runtime reads the paced events in fewer, larger chunks, and the figures would depend on it).
 */
const parallel = (runtime, pattern) => (runtime === "workerd" && pattern === "ai" ? 2 : 4);
/** Calls per block: streamed at each length, and non-streamed. */
const CALLS = { [SHORT]: 8, [LONG]: 4, json: 48 };
const TTFT = { samples: 40, events: 10, pace: 5 };
// The client asks for the body as it is: workerd (locally) gzips a text/plain response for a client that accepts
// gzip, and its gzip stream holds the text back until the end (the AI SDK's first token would arrive last). The
// bench leaves compression, the same traced or not, out of the figures.
const IDENTITY = { "accept-encoding": "identity" };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
};
export const median = (values) => quantile(values, 0.5);

/**
 * ms of CPU used so far by process `pid`, all its threads. A thread that ended keeps the CPU it was last seen with
 * (a runtime's pool threads may exit: summing the live ones alone would lose their past CPU).
 */
export function cpuReader(pid) {
  let precise = false;
  try {
    precise = /se\.sum_exec_runtime/.test(readFileSync(`/proc/${pid}/sched`, "utf8"));
  } catch {}
  if (!precise) {
    return () => {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    };
  }
  const threads = new Map();
  return () => {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        threads.set(task, Number(/se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(readFileSync(`/proc/${pid}/task/${task}/sched`, "utf8"))[1]));
      } catch {} // a thread that ended in between
    }
    let sum = 0;
    for (const value of threads.values()) sum += value;
    return sum;
  };
}

const workerdPids = new Set();
/** The pid of the workerd process Miniflare just started from this process: the newest not yet taken. */
function workerdPid() {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) === "workerd" && Number(fields[1]) === process.pid && !workerdPids.has(entry)) found.push({ pid: entry, start: Number(fields[19]) });
    } catch {}
  }
  if (!found.length) throw new Error("workerd process not found in /proc");
  const { pid } = found.sort((a, b) => b.start - a.start)[0];
  workerdPids.add(pid);
  return pid;
}

const bundles = new Map();
function bundle(entry, format) {
  if (!bundles.has(entry)) bundles.set(entry, bundleOnce(entry, format));
  return bundles.get(entry);
}
async function bundleOnce(entry, format) {
  const result = await build({
    ...workerBuild,
    entryPoints: [join(root, entry)],
    absWorkingDir: root,
    alias: { "edge-tracer": "./src/index.ts" },
    ...(format === "deno" && { external: ["node:*"] }),
  });
  return result.outputFiles[0].text;
}

/** Starts `runtime` with the bench handler; resolves with its base URL, pid, a version line and close(). */
export async function startRuntime(runtime, env) {
  if (runtime === "workerd") {
    const mf = new Miniflare({
      modules: [{ type: "ESModule", path: "worker.js", contents: await bundle("bench/patterns/handler.js") }],
      compatibilityDate: "2026-05-01",
      bindings: env,
    });
    const base = String(await mf.ready).replace(/\/$/, "");
    const version = (name) => JSON.parse(readFileSync(join(root, `node_modules/${name}/package.json`), "utf8")).version;
    return { base, pid: workerdPid(), version: `workerd ${version("workerd")} (Miniflare ${version("miniflare")})`, close: () => mf.dispose() };
  }
  const dir = await mkdtemp(join(tmpdir(), "edge-tracer-bench-deno-"));
  await writeFile(join(dir, "bench.mjs"), await bundle("bench/patterns/deno.js", "deno"));
  const deno = join(root, "node_modules/.bin/deno");
  const child = spawn(deno, ["run", "--no-prompt", "--allow-net=127.0.0.1", "--ignore-env", "bench.mjs", JSON.stringify(env)], {
    cwd: dir,
    env: { PATH: process.env.PATH, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(dir, "deno-dir"), NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { port } = await new Promise((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => line.startsWith("{") && resolve(JSON.parse(line)));
      child.once("exit", (code) => reject(new Error(`deno exited (${code}) before listening:\n${stderr}`)));
      setTimeout(() => reject(new Error(`deno did not listen within 20 s:\n${stderr}`)), 20_000).unref();
    });
    const version = await new Promise((resolve) => {
      const probe = spawn(deno, ["--version"], { env: { PATH: process.env.PATH, DENO_NO_UPDATE_CHECK: "1" } });
      let out = "";
      probe.stdout.on("data", (chunk) => (out += chunk));
      probe.once("exit", () => resolve(out.split("\n")[0] || "deno"));
    });
    return { base: `http://127.0.0.1:${port}`, pid: child.pid, version, close, stderr: () => stderr };
  } catch (error) {
    await close();
    throw error;
  }
}

const wordsText = (n) => Array.from({ length: n }, (_, i) => (i ? ` word${i + 1}` : "word1")).join("");

/**
 * Measures every pattern in `runtime` ("workerd" or "deno"). Each configuration (pattern, untraced or traced, stream
 * length) runs in a process of its own, as an app runs one code path: no process's JIT and heap see another's code,
 * and all the CPU a process uses between the start of one of its blocks and the start of its next (a late flush, a
 * garbage collection in idle time) is that block's. `rounds`: how many interleaved rounds. `log`: progress (to
 * stderr). Returns the figures; printTable() prints them.
 */
export async function measurePatterns(runtime, { rounds = 20, log = () => {} } = {}) {
  const upstream = await forkUpstream();
  const started = Date.now();
  const servers = {};
  try {
    const groups = [];
    for (const pattern of Object.keys(STREAMED)) for (const n of [SHORT, LONG]) groups.push(["plain", "traced"].map((mode) => ({ pattern, mode, n })));
    groups.push(["plain", "traced", "export"].map((mode) => ({ pattern: "json", mode, n: SHORT })));
    const configs = groups.flat();
    const key = ({ pattern, mode, n }) => `${pattern} ${mode} ${n}`;
    log(`${runtime}: starting ${configs.length} processes`);
    for (const config of configs) {
      const server = await startRuntime(runtime, { UP: upstream.url, SINK: upstream.url });
      servers[key(config)] = { ...server, cpuMs: cpuReader(server.pid) };
    }
    const url = ({ pattern, mode, n }, events = n, pace = PACE, route = pattern) => `${servers[key({ pattern, mode, n })].base}/${route}?mode=${mode}&n=${events}&pace=${pace}`;
    const get = async (target) => {
      const response = await fetch(target, { headers: IDENTITY, signal: AbortSignal.timeout(30_000) });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`${runtime}: ${target} answered ${response.status}: ${body.slice(0, 300)}`);
      return body;
    };
    const sinkRequests = async () => JSON.parse(await get(`${upstream.url}/sink/stats`)).requests;

    // What each pattern must answer, untraced and traced; and every traced call recorded in full.
    log(`${runtime}: checking the patterns`);
    for (const config of configs) {
      const { pattern, mode } = config;
      for (const n of [config.n, 3]) {
        const seen = async () => JSON.parse(await get(url(config, n, PACE, "seen")));
        const before = await seen();
        const body = await get(url(config, n));
        if (pattern === "proxy" ? !body.includes(`"content":" word${n}"`) || !body.endsWith("data: [DONE]\n\n") : pattern === "json" ? !body.startsWith("Echo: ") : body !== wordsText(n)) {
          throw new Error(`${runtime} ${key(config)}: not the expected answer: ${body.slice(0, 200)}`);
        }
        await sleep(50);
        const after = await seen();
        const delta = Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - before[name]]));
        const expected = mode !== "traced" ? { steps: 0, ok: 0, chunks: 0, firstTokens: 0 } : pattern === "json" ? { steps: 1, ok: 1, chunks: 0, firstTokens: 0 } : { steps: 1, ok: 1, chunks: n + 3, firstTokens: 1 };
        if (JSON.stringify(delta) !== JSON.stringify(expected)) throw new Error(`${runtime} ${key(config)}: the tracer saw ${JSON.stringify(delta)}, expected ${JSON.stringify(expected)}`);
      }
    }
    const chunks = {};
    // read 4 at a time, as the measured calls are
    const counter = { pattern: "proxy", mode: "plain", n: SHORT };
    for (const n of [SHORT, LONG]) chunks[n] = median(await Promise.all([0, 1, 2, 3].map(async () => JSON.parse(await get(url(counter, n, PACE, "count"))).chunks)));

    // Each traced-and-exported invocation sends this many requests to the sink (counted once, then awaited per block).
    const exporter = { pattern: "json", mode: "export", n: SHORT };
    const exportsBefore = await sinkRequests();
    for (let i = 0; i < 5; i++) await get(url(exporter));
    let perExport = 0;
    for (let i = 0; i < 100 && perExport === 0; i++) {
      await sleep(20);
      perExport = Math.round(((await sinkRequests()) - exportsBefore) / 5);
    }
    await sleep(100);
    perExport = Math.round(((await sinkRequests()) - exportsBefore) / 5);

    /** One block of calls to `config`'s process. */
    const block = async (config) => {
      const count = config.pattern === "json" ? CALLS.json : CALLS[config.n];
      const sinkBefore = config.mode === "export" ? await sinkRequests() : 0;
      const atOnce = parallel(runtime, config.pattern);
      for (let i = 0; i < count; i += atOnce) await Promise.all(Array.from({ length: Math.min(atOnce, count - i) }, () => get(url(config))));
      // The export runs after the response (workerd: in waitUntil): let it end before the next block starts.
      if (config.mode === "export") for (let i = 0; i < 250 && (await sinkRequests()) < sinkBefore + perExport * count; i++) await sleep(2);
      return count;
    };

    // One group at a time: its processes warmed up (the JIT settles over a few dozen calls), then `rounds` rounds of
    // one block each, untraced and traced back to back in a random order, so that a change of load on the machine
    // touches both sides of each difference. A process idles only while the other side's block runs: after a few
    // seconds idle, V8 shrinks the heap and drops compiled code, and the next block would pay for it.
    const samples = new Map(configs.map((config) => [key(config), []]));
    const shuffle = seededShuffle(13);
    for (const group of groups) {
      log(`${runtime}: ${group.map(key).join(", ")}`);
      for (const config of group) for (let i = 0; i < (config.n === SHORT ? 4 : 2); i++) await block(config);
      /** Per process: the CPU reading at the start of its last block, and how many calls that block made. */
      const open = new Map();
      const close = (name, cpu) => {
        const last = open.get(name);
        if (last) samples.get(name).push(((cpu - last.cpu) * 1000) / last.calls);
      };
      for (let round = 0; round < rounds; round++) {
        for (const config of shuffle(group)) {
          const name = key(config);
          const cpu = servers[name].cpuMs();
          close(name, cpu);
          open.set(name, { cpu, calls: await block(config) });
        }
      }
      // the last blocks' flushes and collections
      await sleep(100);
      for (const config of group) close(key(config), servers[key(config)].cpuMs());
    }
    if (process.env.RAW) for (const [name, values] of samples) console.error(runtime, name, values.map(Math.round).join(" "));

    log(`${runtime}: time to first token`);
    // only the four processes it calls are left running
    for (const [name, server] of Object.entries(servers)) {
      if (/^(proxy|ai) (plain|traced) 50$/.test(name)) continue;
      await server.close();
      delete servers[name];
    }
    const ttft = {};
    for (const pattern of ["proxy", "ai"]) ttft[pattern] = await timeToFirstToken((mode) => url({ pattern, mode, n: SHORT }, TTFT.events, TTFT.pace), pattern === "proxy" ? '"content":"word1"' : "word1");

    const stream = {};
    for (const pattern of Object.keys(STREAMED)) {
      const of = (mode, n) => samples.get(key({ pattern, mode, n }));
      const added = (n) => of("traced", n).map((value, round) => value - of("plain", n)[round]);
      const perChunk = added(SHORT).map((value, round) => (added(LONG)[round] - value) / (chunks[LONG] - chunks[SHORT]));
      const perCall = added(SHORT).map((value, round) => value - perChunk[round] * chunks[SHORT]);
      stream[pattern] = {
        plain: { [SHORT]: median(of("plain", SHORT)), [LONG]: median(of("plain", LONG)) },
        traced: { [SHORT]: median(of("traced", SHORT)), [LONG]: median(of("traced", LONG)) },
        added: { [SHORT]: median(added(SHORT)), [LONG]: median(added(LONG)) },
        perChunk: spread(perChunk),
        perCall: spread(perCall),
        ratio: Object.fromEntries([SHORT, LONG].map((n) => [n, median(of("traced", n).map((value, round) => value / of("plain", n)[round]))])),
      };
    }
    const json = samples.get("json plain 50");
    const nonStreamed = { plain: median(json) };
    for (const mode of ["traced", "export"]) {
      const own = samples.get(`json ${mode} 50`);
      nonStreamed[mode] = { cpu: median(own), added: spread(own.map((value, round) => value - json[round])), percent: spread(own.map((value, round) => ((value - json[round]) / json[round]) * 100)) };
    }
    return { runtime, version: Object.values(servers)[0].version, processes: configs.length, rounds, chunks, parallel: Object.fromEntries(Object.keys(STREAMED).map((pattern) => [pattern, parallel(runtime, pattern)])), stream, nonStreamed, ttft, exportRequests: perExport, seconds: (Date.now() - started) / 1000 };
  } finally {
    for (const server of Object.values(servers)) await server.close();
    await upstream.close();
  }
}

/** shuffle(list): a shuffled copy, from a small seeded PRNG (mulberry32), so every run uses the same orders. */
function seededShuffle(seed) {
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (list) => {
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  };
}

const spread = (values) => ({ median: median(values), q1: quantile(values, 0.25), q3: quantile(values, 0.75) });

/**
 * Time to first token as the client sees it: from sending the request to reading the first token, over a stream
 * paced TTFT.pace ms per event. Three series interleaved, the order rotated: untraced, traced, and untraced again (the
 * difference between the two untraced series is the noise floor).
 */
async function timeToFirstToken(urlFor, marker) {
  const once = async (mode) => {
    const start = performance.now();
    const response = await fetch(urlFor(mode), { headers: IDENTITY, signal: AbortSignal.timeout(30_000) });
    const decoder = new TextDecoder();
    let text = "";
    let first;
    for await (const chunk of response.body) {
      if (first !== undefined) continue;
      text += decoder.decode(chunk, { stream: true });
      if (text.includes(marker)) first = performance.now() - start;
    }
    if (first === undefined) throw new Error(`no first token in ${urlFor(mode)}`);
    return first;
  };
  const series = { plain: [], traced: [], again: [] };
  const modes = { plain: "plain", traced: "traced", again: "plain" };
  for (let i = 0; i < 5; i++) for (const mode of ["plain", "traced"]) await once(mode);
  for (let i = 0; i < TTFT.samples; i++) {
    const names = Object.keys(series);
    for (let j = 0; j < names.length; j++) {
      const name = names[(i + j) % names.length];
      series[name].push(await once(modes[name]));
    }
  }
  const describe = (values) => ({ median: median(values), p10: quantile(values, 0.1), p90: quantile(values, 0.9) });
  return { plain: describe(series.plain), traced: describe(series.traced), again: describe(series.again) };
}

// ---- the printed table ----
const pad = (text, width) => String(text).padEnd(width);
const lpad = (text, width) => String(text).padStart(width);
/** `value` with `digits` decimals, never "-0". */
const fixed = (value, digits = 0) => (Math.abs(value) < 0.5 * 10 ** -digits ? 0 : value).toFixed(digits).replace("-", "−");
const signed = (value, digits = 0) => (fixed(value, digits) === fixed(0, digits) ? "±" : value > 0 ? "+" : "") + fixed(value, digits);
const us = (value) => `${Math.round(value)}`;
const ms = (value) => (value / 1000).toFixed(2);
const iqr = ({ q1, q3 }, digits = 1) => `${fixed(q1, digits)}…${fixed(q3, digits)}`;

/** The figures of measurePatterns() as the table `npm run bench` prints (and docs/performance.md copies). */
export function printTable(r, print) {
  const events = LONG - SHORT;
  const chunks = r.chunks[LONG] - r.chunks[SHORT];
  print(`${r.version}: process CPU, each configuration in a process of its own, median of ${r.rounds} rounds, untraced and traced taking turns`);
  print(`  upstream on loopback: ${SHORT} or ${LONG} content events (+ role, finish, usage, [DONE]) ${PACE} ms apart; the runtime reads them in`);
  const atOnce = Object.entries(r.parallel).filter(([, count]) => count !== 4);
  print(`  ${r.chunks[SHORT]} or ${r.chunks[LONG]} chunks; 4 calls at a time${atOnce.map(([pattern, count]) => ` (${pattern === "ai" ? "AI SDK" : pattern}: ${count})`).join("")}`);
  print();
  print(`  streamed, CPU per call            untraced           traced             ratio`);
  print(`  ${pad("pattern", 35)}${lpad(`${SHORT} ev`, 8)} ${lpad(`${LONG} ev`, 9)} ${lpad(`${SHORT} ev`, 8)} ${lpad(`${LONG} ev`, 9)}  ${lpad(`${SHORT} ev`, 6)} ${lpad(`${LONG} ev`, 6)}`);
  for (const [pattern, label] of Object.entries(STREAMED)) {
    const s = r.stream[pattern];
    print(`  ${pad(label, 35)}${lpad(ms(s.plain[SHORT]), 5)} ms ${lpad(ms(s.plain[LONG]), 6)} ms ${lpad(ms(s.traced[SHORT]), 5)} ms ${lpad(ms(s.traced[LONG]), 6)} ms  ${lpad(`${s.ratio[SHORT].toFixed(2)}×`, 6)} ${lpad(`${s.ratio[LONG].toFixed(2)}×`, 6)}`);
  }
  print();
  print(`  streamed, CPU added by the tracer  per chunk (IQR)          per event   per call (IQR)            per ${SHORT}-ev call  per ${LONG}-ev call`);
  for (const [pattern, label] of Object.entries(STREAMED)) {
    const s = r.stream[pattern];
    print(`  ${pad(label, 35)}${lpad(signed(s.perChunk.median, 1), 6)} µs (${pad(`${iqr(s.perChunk)})`, 14)} ${lpad(signed((s.perChunk.median * chunks) / events, 1), 6)} µs  ${lpad(signed(s.perCall.median), 6)} µs (${pad(`${iqr(s.perCall, 0)})`, 15)} ${lpad(signed(s.added[SHORT]), 8)} µs  ${lpad(signed(s.added[LONG]), 9)} µs`);
  }
  print();
  const n = r.nonStreamed;
  print(`  non-streamed: an invocation making one chat call through the openai SDK (1.5 KB each way), CPU per invocation`);
  print(`    ${pad("untraced", 44)} ${lpad(ms(n.plain), 5)} ms`);
  const row = (label, m) => print(`    ${pad(label, 44)} ${lpad(ms(m.cpu), 5)} ms  ${lpad(signed(m.added.median), 5)} µs (IQR ${iqr(m.added, 0)})  ${signed(m.percent.median, 1)} % (IQR ${iqr(m.percent)})`);
  row("traced", n.traced);
  row(`traced and exported to phospho (${r.exportRequests} requests)`, n.export);
  print();
  print(`  time to first token, as the client sees it: ms from its request to the first token, ${TTFT.samples} calls each, median [p10–p90]`);
  print(`  (${TTFT.events} events ${TTFT.pace} ms apart; "untraced again" is a second untraced series run alongside: its difference is the noise floor)`);
  const t = (d) => `${d.median.toFixed(2)} [${d.p10.toFixed(2)}–${d.p90.toFixed(2)}]`;
  for (const [pattern, label] of [["proxy", "proxy"], ["ai", "AI SDK"]]) {
    const d = r.ttft[pattern];
    print(`    ${pad(label, 7)} untraced ${t(d.plain)}  traced ${t(d.traced)}  untraced again ${t(d.again)}`);
    print(`    ${pad("", 7)} traced − untraced ${signed(d.traced.median - d.plain.median, 2)} ms; untraced again − untraced ${signed(d.again.median - d.plain.median, 2)} ms`);
  }
}
