// What edge-tracer puts in a user's bundle: no Node built-ins or globals (so it runs on workerd with no
// compatibility flag, Vercel Edge and Deno), and a size budget that fails when the bundle grows.
import { build, type Metafile } from "esbuild";
import { describe, expect, it } from "vitest";
import { cases, hasOtlp, measure, root, weighModules, workerBuild } from "../bench/size.mjs";
import { startWorkerd } from "./runtimes/support/workerd.js";

/** The package's entries, as its `exports` map publishes them. */
const ENTRIES = ["src/index.ts", ...(hasOtlp ? ["src/otlp.ts"] : [])];
const FORBIDDEN = ["process", "Buffer", "require", "setImmediate"];
/**
 * This guard sits just above today's size, so any growth is noticed and must be argued in the commit that raises it.
 * 20 KB → 21 KB: a response body kept open for lazy calls, late records kept for the next flush, config values
 * from Workers vars and a config cache by content, Responses API input as text, gateway HTML errors cut to text.
 * 21 KB → 22 KB: the one-way export pipeline (privacy and redaction on the records, with structured values for
 * steps too; one clipping pass), +0.1 KB.
 * 22 KB → 23 KB: phospho keeps what we send (issue 12): span attributes laid out so its unpacking cannot fail,
 * real token counts on each log, the automatic log, ids coerced, +1.3 KB.
 * 23 KB → 24 KB: streams at native speed in workerd (tee and native pipes beside the pull stream), +0.5 KB.
 */
const BUDGET_B_GZIP = 24 * 1024;

/**
 * Bundles `entry` as a Worker would, with every forbidden global (also as `globalThis.x`, `self.x`, `global.x`)
 * replaced by a marker: esbuild replaces only real references (`globalThis["process"]` included), never strings,
 * comments or property names.
 */
async function nodeReferences(entry: { path: string } | { source: string }): Promise<string[]> {
  const define: Record<string, string> = {};
  for (const name of FORBIDDEN) {
    for (const owner of ["", "globalThis.", "self.", "global.", "window."]) define[`${owner}${name}`] = `__NODE_REFERENCE__${name}`;
  }
  const result = await build({
    ...workerBuild,
    // Unminified, so the markers and esbuild's shims keep their names.
    minify: false,
    absWorkingDir: root,
    ...("path" in entry ? { entryPoints: [entry.path] } : { stdin: { contents: entry.source, resolveDir: root, loader: "ts" as const } }),
    metafile: true,
    external: ["node:*"],
    define,
  });
  const code = result.outputFiles[0]!.text;
  const found = new Set<string>();
  for (const [, name] of code.matchAll(/__NODE_REFERENCE__(\w+)/g)) found.add(name!);
  if (code.includes("__require")) found.add("require (esbuild's __require shim)");
  for (const output of Object.values((result.metafile as Metafile).outputs)) {
    for (const imported of output.imports) if (imported.path.startsWith("node:") || imported.external) found.add(imported.path);
  }
  return [...found].sort();
}

describe("no Node APIs", () => {
  it.each(ENTRIES)("%s references no node: module, process, Buffer, require or setImmediate", async (entry) => {
    expect(await nodeReferences({ path: entry })).toEqual([]);
  });

  it("the check catches each of them (it is not vacuous)", async () => {
    const source = `
      import { AsyncLocalStorage } from "node:async_hooks";
      export const a = process.env.KEY, b = globalThis.Buffer, c = typeof require, d = self.setImmediate, e = globalThis["process"], f = AsyncLocalStorage;
      export const fine = "process, Buffer and require in a string", g = { process: 1 }.process;`;
    expect(await nodeReferences({ source })).toEqual(["Buffer", "node:async_hooks", "process", "require", "require (esbuild's __require shim)", "setImmediate"]);
  });

  it("imports and runs inside workerd with no compatibility flag", async () => {
    const worker = `
      import * as api from "edge-tracer";
      ${hasOtlp ? 'import * as otlpEntry from "edge-tracer/otlp";' : "const otlpEntry = {};"}
      export default {
        async fetch() {
          const batches = [];
          const memory = { name: "memory", async export(batch) { batches.push(batch); return { sent: 1, retried: 0, dropped: 0, errors: [] }; } };
          await api.withTracer(null, (t) => t.log({ input: "q", output: "a" }), { exporters: [memory] });
          return Response.json({ exports: Object.keys(api), otlp: Object.keys(otlpEntry), logged: batches.map((b) => b.logs.map((l) => [l.input, l.output])) });
        },
      };`;
    const { code } = await measure(worker);
    const mf = await startWorkerd(code, { compatibilityFlags: [] });
    try {
      const body = (await (await mf.dispatchFetch("http://import.test/")).json()) as { exports: string[]; otlp: string[]; logged: unknown };
      expect(body.exports).toEqual(expect.arrayContaining(["createTracer", "withTracer", "instrument", "log", "tracer", "trace", "tracedFetch", "phosphoExporter", "consoleExporter"]));
      if (hasOtlp) expect(body.otlp).toContain("otlp");
      expect(body.logged).toEqual([[["q", "a"]]]);
    } finally {
      await mf.dispose();
    }
  });
});

describe("bundle size", () => {
  it(`${cases.b.label} stays under ${BUDGET_B_GZIP / 1024} KB min+gzip`, async () => {
    const { gzip, metafile } = await measure(cases.b.source);
    const heaviest = weighModules(metafile).slice(0, 8).map((entry) => `${entry.path} ${(entry.bytes / 1024).toFixed(1)} KB min`);
    expect(gzip, `${(gzip / 1024).toFixed(1)} KB gzip; heaviest modules: ${heaviest.join(", ")}. Run \`npm run bench\` for the breakdown.`).toBeLessThanOrEqual(BUDGET_B_GZIP);
  });
});
