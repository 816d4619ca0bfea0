// `npm run bench`: what edge-tracer adds to a user's code, from one run: bundle sizes, then the CPU and latency the
// tracer adds to the patterns users write, in workerd (Miniflare) and in Deno (bench/patterns.mjs). Prints figures
// and ratios; it never fails on a timing. Progress goes to stderr, the figures to stdout
// (`npm run bench > bench.txt`).
// `npm run bench -- --only=size` (or workerd, deno) runs one part; `--rounds=N` sets the rounds of the CPU part
// (default 20). `--only=node` runs a part that is not in the default run: the tracer's own cost in Node
// (bench/overhead.mjs: CPU per call against an in-memory upstream, export serialization, the heap over 10,000
// invocations).
import os from "node:os";
import { cases, hasOtlp, measure, openaiWorker, weighModules } from "./size.mjs";

const started = Date.now();
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice(7).split(",");
const rounds = Number(process.argv.find((arg) => arg.startsWith("--rounds="))?.slice(9) ?? 20);
const runs = (part) => (only ? only.includes(part) : part !== "node");
const print = (line = "") => console.log(line);
const progress = (line) => process.stderr.write(`[${Math.round((Date.now() - started) / 1000)} s] ${line}\n`);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const pad = (text, width) => String(text).padEnd(width);

print(`edge-tracer benchmark · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model.trim()} · load ${os.loadavg().map((load) => load.toFixed(2)).join(" ")}`);

if (runs("size")) {
  progress("bundle sizes");
  print();
  print("Bundle size: esbuild --bundle --minify --format=esm --platform=browser --conditions=workerd,worker,browser, gzip -9");
  const measured = {};
  for (const [key, tracerCase] of Object.entries(cases)) {
    if (tracerCase.needsOtlp && !hasOtlp) {
      print(`  ${pad(tracerCase.label, 60)} skipped: src/otlp.ts does not exist`);
      continue;
    }
    measured[key] = await measure(tracerCase.source);
    print(`  ${pad(tracerCase.label, 60)} ${pad(kb(measured[key].minified), 9)} min  ${kb(measured[key].gzip)} gzip`);
  }
  const openaiOnly = await measure(openaiWorker());
  print(`  Added to a Worker that only uses the openai SDK (${kb(openaiOnly.gzip)} gzip on its own):`);
  for (const [key, tracerCase] of Object.entries(cases)) {
    if (!measured[key]) continue;
    const withTracer = await measure(openaiWorker(tracerCase));
    print(`    ${pad(`(${key})`, 4)} +${kb(withTracer.gzip - openaiOnly.gzip)} gzip (+${kb(withTracer.minified - openaiOnly.minified)} min)`);
  }
  const b = measured.b;
  print(`  Where the ${kb(b.minified)} of minified code of (b) come from:`);
  const modules = weighModules(b.metafile);
  const groups = new Map();
  for (const { path, bytes } of modules) {
    const group = path.startsWith("src/") ? path.split("/").slice(0, 2).join("/") : path.split("/").slice(0, path.startsWith("@") ? 2 : 1).join("/");
    groups.set(group, (groups.get(group) ?? 0) + bytes);
  }
  print(`    by folder (min): ${[...groups].sort((x, y) => y[1] - x[1]).map(([group, bytes]) => `${group} ${kb(bytes)}`).join(", ")}`);
  print(`    heaviest modules (min): ${modules.slice(0, 14).map(({ path, bytes }) => `${path} ${kb(bytes)}`).join(", ")}`);
  print("  gzip (b) would save if each part were gone (measured: its modules replaced by empty stubs, the rest re-bundled):");
  const candidates = [
    ["phospho exporter: OTLP protobuf spans, phospho attributes", /src\/exporters\/(phospho|phospho-attributes|otlp-protobuf|protobuf-writer)\.ts$/],
    ["OpenTelemetry interop (src/otel)", /src\/otel\//],
    ["endpoints other than chat (responses, completions, embeddings)", /src\/providers\/(responses|completions|embeddings)\.ts$/],
    ["GenAI span attributes (current and legacy names)", /src\/exporters\/genai-attributes\.ts$/],
    ["console exporter", /src\/exporters\/console\.ts$/],
    ["value sanitizing for log() (serialize)", /src\/util\/serialize\.ts$/],
    ["privacy and sampling", /src\/pipeline\/(privacy|sampling)\.ts$/],
  ];
  for (const [label, pattern] of candidates) {
    const without = await measure(cases.b.source, { stub: pattern });
    print(`    -${pad(kb(b.gzip - without.gzip), 8)} ${label}`);
  }
}

for (const runtime of ["workerd", "deno"]) {
  if (!runs(runtime)) continue;
  const { measurePatterns, printTable } = await import("./patterns.mjs");
  print();
  printTable(await measurePatterns(runtime, { rounds, log: progress }), print);
}

if (runs("node")) {
  const { LONG_WORDS, measureOverhead } = await import("./overhead.mjs");
  const { startServers } = await import("./servers.mjs");
  const us = (value) => `${Math.round(value)} µs`;
  const ms = (value, digits = 2) => `${value.toFixed(digits)} ms`;
  const servers = await startServers();
  try {
    print();
    print("Node (this process; the loopback mocks run in another, so the CPU below is the caller's)");
    const r = await measureOverhead(servers, progress);
    const row = (label, { raw, traced }) =>
      print(`  ${pad(label, 48)} ${pad(us(raw), 9)} ${pad(us(traced), 9)} ${pad(`+${us(traced - raw)}`, 10)} ${(traced / raw).toFixed(2)}×`);
    print(`  ${pad("CPU per call (median of 12 rounds)", 48)} ${pad("raw", 9)} ${pad("traced", 9)} ${pad("added", 10)} ratio`);
    row("non-streamed, 1.5 KB JSON, loopback", r.json);
    row("non-streamed, 1.5 KB JSON, in-memory upstream", r.jsonMemory);
    row("streamed, 50 chunks + usage, loopback", r.stream);
    row("streamed, 50 chunks + usage, in-memory upstream", r.streamMemory);
    row(`streamed, ${LONG_WORDS} chunks + usage, in-memory upstream`, r.streamMemoryLong);
    const added = ({ raw, traced }) => traced - raw;
    const perEvent = (added(r.streamMemoryLong) - added(r.streamMemory)) / (LONG_WORDS - 50);
    print(`  per stream event, in-memory: +${perEvent.toFixed(1)} µs (the difference between the ${LONG_WORDS}- and the 50-chunk stream, per extra event)`);
    const { raw, traced, noise } = r.ttft;
    print(`  time to first token, caller's view, 80 each (median [p10–p90]): raw ${ms(raw.median)} [${ms(raw.p10)}–${ms(raw.p90)}], traced ${ms(traced.median)} [${ms(traced.p10)}–${ms(traced.p90)}]`);
    print(`    delta of medians ${traced.median >= raw.median ? "+" : ""}${ms(traced.median - raw.median)}; noise floor (two halves of the raw samples) ${ms(noise)}`);
    print(`  serialize + export, per invocation of 10 steps and 1 log (phospho: JSON logs + OTLP protobuf spans, ${kb(r.exportBytes)} in ${r.exportRequests} requests):`);
    print(`    ${ms(r.exportLoopback / 1000)} CPU sent to a loopback sink, of which ${ms(r.exportSerialize / 1000)} building and serializing (fetch stubbed)`);
    const first = r.heap[0].heap;
    const last = r.heap.at(-1).heap;
    print(`  heap after full GC (one call, a log, a phospho export each): ${r.heap.map(({ after, heap }) => `${after.toLocaleString("en")}: ${(heap / 1048576).toFixed(2)} MB`).join(" · ")}`);
    print(`    change over 10,000 invocations: ${last >= first ? "+" : ""}${((last - first) / 1024).toFixed(0)} KB (${((last - first) / 10_000).toFixed(1)} bytes per invocation)`);
  } finally {
    await servers.close();
  }
}

print();
print(`(${Math.round((Date.now() - started) / 1000)} s · load at the end ${os.loadavg().map((load) => load.toFixed(2)).join(" ")})`);
