// Bundle sizes, minified + gzip, measured the way the issue measured peers: esbuild --bundle --minify
// --format=esm --platform=browser --conditions=workerd,worker,browser. Shared by `npm run bench` and the size test.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const hasOtlp = existsSync(`${root}/src/otlp.ts`);

/** How a Worker is bundled here, as wrangler would: the options every measurement shares. */
export const workerBuild = {
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  conditions: ["workerd", "worker", "browser"],
  write: false,
  logLevel: "silent",
};

/** `edge-tracer` and `edge-tracer/otlp` resolve to this repository's sources, as the published package's entries. */
const packageEntries = {
  name: "edge-tracer-entries",
  setup(build) {
    build.onResolve({ filter: /^edge-tracer(\/otlp)?$/ }, (args) => ({ path: `${root}/src/${args.path === "edge-tracer" ? "index" : "otlp"}.ts` }));
  },
};

/** A minimal Worker for each measured case: what a user writes, so tree-shaking keeps exactly what they use. */
export const cases = {
  a: {
    label: "(a) instrument, traced fetch, console exporter",
    source: `import { consoleExporter, instrument, tracedFetch } from "edge-tracer";
export default instrument({ fetch: (request) => tracedFetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: request.body }) },
  { exporters: [consoleExporter()] });`,
  },
  b: {
    label: "(b) instrument, traced fetch, console and phospho exporters",
    source: `import { consoleExporter, instrument, phosphoExporter, tracedFetch } from "edge-tracer";
export default instrument({ fetch: (request) => tracedFetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: request.body }) },
  (env) => ({ exporters: [phosphoExporter({ apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID }), consoleExporter()] }));`,
  },
  c: {
    label: "(c) (b) and the OTLP exporter",
    needsOtlp: true,
    source: `import { consoleExporter, instrument, phosphoExporter, tracedFetch } from "edge-tracer";
import { otlp } from "edge-tracer/otlp";
export default instrument({ fetch: (request) => tracedFetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: request.body }) },
  (env) => ({ exporters: [phosphoExporter({ apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID }), otlp({ url: env.OTLP_URL }), consoleExporter()] }));`,
  },
};

/** A Worker that only uses the openai SDK; `traced` adds the given case's tracer around it. */
export function openaiWorker(tracerCase) {
  const handler = `{
  async fetch(request, env) {
    const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY${tracerCase ? ", fetch: tracedFetch" : ""} });
    const completion = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: await request.text() }] });
    return new Response(completion.choices[0].message.content);
  },
}`;
  if (!tracerCase) return `import OpenAI from "openai";\nexport default ${handler};`;
  // The case's imports and config, around the openai handler.
  const imports = tracerCase.source.split("\n").filter((line) => line.startsWith("import")).join("\n");
  const config = tracerCase.source.slice(tracerCase.source.indexOf("},\n") + 3).trim().replace(/\);$/, "");
  return `import OpenAI from "openai";\n${imports}\nexport default instrument(${handler}, ${config});`;
}

/**
 * Replaces the modules whose path matches `pattern` with stubs exporting the same names (as `undefined`):
 * the bundle then shows what those modules cost, tree-shaking included. For "what would help most", not for shipping.
 */
function stubModules(pattern) {
  return {
    name: "stub-modules",
    setup(build) {
      build.onLoad({ filter: pattern }, async (args) => {
        const text = await readFile(args.path, "utf8");
        const names = new Set();
        for (const [, name] of text.matchAll(/export\s+(?:declare\s+)?(?:async\s+)?(?:function\*?|const|let|var|class)\s+([\w$]+)/g)) names.add(name);
        for (const [, list] of text.matchAll(/export\s*\{([^}]*)\}/g)) {
          for (const item of list.split(",")) {
            const name = item.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop();
            if (name && !item.trim().startsWith("type ")) names.add(name);
          }
        }
        if (/export\s+\*\s+from/.test(text) || text.includes("export default")) names.add("default");
        const body = [...names].filter((name) => name !== "default").map((name) => `export const ${name} = undefined;`);
        return { contents: `${body.join("\n")}\nexport default undefined;`, loader: "js" };
      });
    },
  };
}

/** Bundles `source` as a Worker entry and returns its minified and gzipped sizes in bytes, and esbuild's metafile. */
export async function measure(source, { stub } = {}) {
  const result = await build({
    ...workerBuild,
    stdin: { contents: source, resolveDir: root, loader: "js", sourcefile: "worker.js" },
    absWorkingDir: root,
    metafile: true,
    plugins: stub ? [packageEntries, stubModules(stub)] : [packageEntries],
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, code: result.outputFiles[0].text, metafile: result.metafile };
}

/** Bytes each input module contributes to the minified output, largest first, grouped by package or src/ folder. */
export function weighModules(metafile) {
  const output = Object.values(metafile.outputs)[0];
  return Object.entries(output.inputs)
    .map(([path, { bytesInOutput }]) => ({ path: path.replace(/^node_modules\//, ""), bytes: bytesInOutput }))
    .filter((entry) => entry.bytes > 0)
    .sort((x, y) => y.bytes - x.bytes);
}
