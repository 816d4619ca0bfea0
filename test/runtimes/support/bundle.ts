// Bundles the examples as each platform's tooling would (wrangler, Next.js, a Deno bundle), with `edge-tracer`
// resolved to this repository's src/. One esbuild build per output format, so the SDKs are parsed once.
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = fileURLToPath(new URL("../../..", import.meta.url));

// The repository's package.json says "sideEffects": false; the Deno entry's bare imports are nothing but side effects.
const keepBareImports: Plugin = {
  name: "keep-bare-imports",
  setup(build) {
    build.onResolve({ filter: /^\.\.?\// }, (args) =>
      args.importer.endsWith("deno-entry.ts") ? { path: join(args.resolveDir, args.path.replace(/\.js$/, ".ts")), sideEffects: true } : undefined,
    );
  },
};

/**
 * Bundles each of `entries` (paths from the repository root) into one file.
 * - `esm`: for workerd and Deno, `node:*` left for the runtime. None of the bundled packages has a `workerd` or
 *   `deno` export condition, so one build serves both.
 * - `iife`: a script for Vercel's Edge Runtime sandbox; a script's exports land on `globalThis.__example`.
 */
export async function bundleEntries(entries: string[], format: "esm" | "iife"): Promise<Map<string, string>> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: entries,
    entryNames: "[name]",
    outdir: "bundles",
    bundle: true,
    write: false,
    format,
    platform: "browser",
    target: "es2022",
    ...(format === "esm"
      ? { conditions: ["workerd", "worker", "browser"], external: ["node:*"], plugins: [keepBareImports] }
      : { conditions: ["edge-light", "worker", "browser"], globalName: "__example" }),
    alias: { "edge-tracer/otlp": "./src/otlp.ts", "edge-tracer": "./src/index.ts" },
    logLevel: "silent",
  });
  const output = (entry: string) => result.outputFiles.find((file) => file.path.endsWith(`/${basename(entry, ".ts")}.js`))!.text;
  return new Map(entries.map((entry) => [entry, output(entry)]));
}
