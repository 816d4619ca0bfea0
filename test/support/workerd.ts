// Runs a Worker entry inside workerd through Miniflare: bundled with esbuild the way wrangler does,
// with `edge-tracer` resolved to this repository's src/.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

const root = fileURLToPath(new URL("../..", import.meta.url));
const bundles = new Map<string, Promise<string>>();

/** Bundles `entry` (a path from the repository root) for workerd; cached per test process. */
export function bundleWorker(entry: string): Promise<string> {
  let bundle = bundles.get(entry);
  if (!bundle) {
    bundle = build({
      absWorkingDir: root,
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: "esm",
      platform: "browser",
      target: "es2022",
      conditions: ["workerd", "worker", "browser"],
      alias: { "edge-tracer/otlp": "./src/otlp.ts", "edge-tracer": "./src/index.ts" },
      external: ["node:*"],
      logLevel: "silent",
    }).then((result) => result.outputFiles[0]!.text);
    bundles.set(entry, bundle);
  }
  return bundle;
}

export interface WorkerOptions {
  bindings?: Record<string, string>;
  /** Default: none. Pass ["nodejs_als"] for AsyncLocalStorage. */
  compatibilityFlags?: string[];
}

/** Starts `entry` in workerd. Remember to `dispose()`. */
export async function startWorker(entry: string, options: WorkerOptions = {}): Promise<Miniflare> {
  const contents = await bundleWorker(entry);
  const mf = new Miniflare({
    // `modules` rather than `script`: the Mistral SDK's bundle has a dynamic import() Miniflare's script option rejects.
    modules: [{ type: "ESModule", path: "worker.js", contents }],
    compatibilityDate: "2026-05-01",
    compatibilityFlags: options.compatibilityFlags ?? [],
    bindings: options.bindings ?? {},
  });
  await mf.ready;
  return mf;
}
