// `npm run bench`: bundle sizes, and the tracer's overhead in Node and in workerd. Prints figures and ratios;
// it never fails on a timing. `npm run bench -- --only=size` (or node, workerd) runs one part.
import os from "node:os";
import { LONG_WORDS, measureOverhead, SSE_EVENTS } from "./overhead.mjs";
import { startServers } from "./servers.mjs";
import { cases, hasOtlp, measure, openaiWorker, weighModules } from "./size.mjs";
import { measureWorkerd } from "./workerd-cpu.mjs";

const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice(7).split(",");
const runs = (part) => !only || only.includes(part);
const print = (line = "") => console.log(line);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const us = (value) => `${Math.round(value)} µs`;
const ms = (value, digits = 2) => `${value.toFixed(digits)} ms`;
const pad = (text, width) => String(text).padEnd(width);
const TARGET_B = 8 * 1024;

print(`edge-tracer benchmark · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model.trim()} · load ${os.loadavg()[0].toFixed(2)}`);

if (runs("size")) {
  print();
  print("Bundle size: esbuild --bundle --minify --format=esm --platform=browser --conditions=workerd,worker,browser, gzip -9");
  const measured = {};
  for (const [key, tracerCase] of Object.entries(cases)) {
    if (tracerCase.needsOtlp && !hasOtlp) {
      print(`  ${pad(tracerCase.label, 58)} skipped: src/exporters/otlp.ts does not exist yet`);
      continue;
    }
    measured[key] = await measure(tracerCase.source);
    print(`  ${pad(tracerCase.label, 58)} ${pad(kb(measured[key].minified), 9)} min  ${kb(measured[key].gzip)} gzip`);
  }
  const openaiOnly = await measure(openaiWorker());
  print(`  Added to a Worker that only uses the openai SDK (${kb(openaiOnly.gzip)} gzip on its own):`);
  for (const [key, tracerCase] of Object.entries(cases)) {
    if (!measured[key]) continue;
    const withTracer = await measure(openaiWorker(tracerCase));
    print(`    ${pad(`(${key})`, 4)} +${kb(withTracer.gzip - openaiOnly.gzip)} gzip (+${kb(withTracer.minified - openaiOnly.minified)} min)`);
  }
  const b = measured.b;
  print(`  (b) target ≤ ${kb(TARGET_B)} gzip; the size test fails above 12 KB.`);
  if (b.gzip > TARGET_B) {
    print(`  (b) is ${kb(b.gzip - TARGET_B)} over the target. Where its ${kb(b.minified)} of minified code come from:`);
    const modules = weighModules(b.metafile);
    const groups = new Map();
    for (const { path, bytes } of modules) {
      const group = path.startsWith("src/") ? path.split("/").slice(0, 2).join("/") : path.split("/").slice(0, path.startsWith("@") ? 2 : 1).join("/");
      groups.set(group, (groups.get(group) ?? 0) + bytes);
    }
    print(`    by folder (min): ${[...groups].sort((x, y) => y[1] - x[1]).map(([group, bytes]) => `${group} ${kb(bytes)}`).join(", ")}`);
    print(`    heaviest modules (min): ${modules.slice(0, 14).map(({ path, bytes }) => `${path} ${kb(bytes)}`).join(", ")}`);
    print("    gzip saved if each were gone (measured: the module replaced by an empty stub, the rest re-bundled):");
    const candidates = [
      ["src/otel/* (OpenTelemetry interop, always reachable from createTracer)", /src\/otel\//],
      ["providers other than chat (responses, completions, embeddings)", /src\/providers\/(responses|completions|embeddings)\.ts$/],
      ["genai-attributes (GenAI span attributes, current and legacy names)", /src\/exporters\/genai-attributes\.ts$/],
      ["console exporter (bundled even when phospho is configured)", /src\/exporters\/console\.ts$/],
      ["serialize (log value sanitizing)", /src\/core\/serialize\.ts$/],
      ["privacy + sampling", /src\/core\/(privacy|sampling)\.ts$/],
      ["phospho exporter + OTLP protobuf encoder (in (a) too)", /src\/exporters\/(phospho|otlp-protobuf|protobuf-writer)\.ts$/],
    ];
    for (const [label, pattern] of candidates) {
      const without = await measure(cases.b.source, { stub: pattern });
      print(`      -${pad(kb(b.gzip - without.gzip), 8)} ${label}`);
    }
  }
}

if (runs("node") || runs("workerd")) {
  const servers = await startServers();
  try {
    if (runs("node")) {
      print();
      print("Overhead in Node (this process; the loopback mocks run in another, so the CPU below is the caller's)");
      const r = await measureOverhead(servers, () => {});
      const row = (label, { raw, traced }, divisor = 1) =>
        print(`  ${pad(label, 44)} ${pad(us(raw), 9)} ${pad(us(traced), 9)} ${pad(`+${us((traced - raw) / divisor)}`, 10)} ${(traced / raw).toFixed(2)}×`);
      print(`  ${pad("CPU per call (median of 12 rounds)", 44)} ${pad("raw", 9)} ${pad("traced", 9)} ${pad("added", 10)} ratio`);
      row("non-streamed, 1.5 KB JSON, loopback", r.json);
      row("non-streamed, 1.5 KB JSON, in-memory upstream", r.jsonMemory);
      row("streamed, 50 chunks + usage, loopback", r.stream);
      row("streamed, 50 chunks + usage, in-memory upstream", r.streamMemory);
      row(`streamed, ${LONG_WORDS} chunks + usage, in-memory upstream`, r.streamMemoryLong);
      // The added CPU of a streamed call is a cost per call plus a cost per event: two lengths separate them.
      const added = ({ raw, traced }) => traced - raw;
      const perEvent = (added(r.streamMemoryLong) - added(r.streamMemory)) / (LONG_WORDS - 50);
      print(`  per stream event, in-memory: +${perEvent.toFixed(1)} µs (the difference between the ${LONG_WORDS}- and the 50-chunk stream, per extra event)`);
      print("  targets: ≤ 30 µs per non-streamed call, ≤ 1 µs per stream chunk");
      const { raw, traced, noise } = r.ttft;
      print(`  time to first token, caller's view, 80 each (median [p10–p90]): raw ${ms(raw.median)} [${ms(raw.p10)}–${ms(raw.p90)}], traced ${ms(traced.median)} [${ms(traced.p10)}–${ms(traced.p90)}]`);
      print(`    delta of medians ${traced.median >= raw.median ? "+" : ""}${ms(traced.median - raw.median)}; noise floor (two halves of the raw samples) ${ms(noise)}`);
      print(`  serialize + export, per invocation of 10 steps and 1 log (phospho: JSON logs + OTLP protobuf spans, ${kb(r.exportBytes)} in ${r.exportRequests} requests):`);
      print(`    ${ms(r.exportLoopback / 1000)} CPU sent to a loopback sink, of which ${ms(r.exportSerialize / 1000)} building and serializing (fetch stubbed)`);
      const first = r.heap[0].heap;
      const last = r.heap.at(-1).heap;
      print(`  heap after full GC (one call, a log, a phospho export each): ${r.heap.map(({ after, heap }) => `${after.toLocaleString("en")}: ${(heap / 1048576).toFixed(2)} MB`).join(" · ")}`);
      print(`    change over 10,000 invocations: ${last >= first ? "+" : ""}${((last - first) / 1024).toFixed(0)} KB (${((last - first) / 10_000).toFixed(1)} bytes per invocation)`);
    }
    if (runs("workerd")) {
      print();
      print("workerd (Miniflare): CPU per invocation with 3 LLM calls via the openai SDK (2 × 1.5 KB, 1 streamed × 50 chunks)");
      print("  workerd stops the clock while JavaScript runs, so this is the workerd process's CPU from /proc (JS and the");
      print("  runtime's HTTP work, its own subrequests included), over 200 sequential invocations, median of 5 fresh processes");
      const w = await measureWorkerd(servers);
      print(`  ${pad("no tracer", 46)} ${ms(w.plain)}`);
      print(`  ${pad("traced, batch built, not sent", 46)} ${ms(w.record)}  (+${ms(w.record - w.plain)}, ${(w.record / w.plain).toFixed(2)}×)`);
      print(`  ${pad("traced and exported to phospho (loopback)", 46)} ${ms(w.phospho)}  (+${ms(w.phospho - w.plain)}, ${(w.phospho / w.plain).toFixed(2)}×)`);
      const { plain, tap, record, chunks } = w.stream;
      const added = (value) => (value - plain) * 1000;
      print(`  one streamed call through the openai SDK (${SSE_EVENTS} events, read by workerd in ${chunks} chunks), median of 5 processes:`);
      print(`    ${ms(plain)} untraced; our pass-through stream alone +${us(added(tap))} (${(added(tap) / chunks).toFixed(1)} µs per chunk); traced +${us(added(record))} (${(added(record) / chunks).toFixed(1)} µs per chunk)`);
    }
  } finally {
    await servers.close();
  }
}
