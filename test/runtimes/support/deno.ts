// Runs the Deno example under the real `deno` binary (the npm package): bundled into one file (deno-entry.ts,
// by `bundleEntries`) so Deno needs no npm resolution, with network access to 127.0.0.1 only.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { Routes } from "./routes.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
export const denoBinary = join(root, "node_modules/.bin/deno");

export interface DenoServer {
  url: string;
  /** What detectRuntime() said inside Deno. */
  runtime: string;
  /** Whether the example's `node:async_hooks` import gave it an AsyncLocalStorage class. */
  asyncLocalStorage: boolean;
  /** Everything Deno wrote to stderr so far (warnings, errors). */
  stderr(): string;
  close(): Promise<void>;
}

/** A folder for the bundle and DENO_DIR, shared by the runs of one test file (Deno's code cache makes later starts fast). */
export async function denoWorkspace(bundle: string) {
  const dir = await mkdtemp(join(tmpdir(), "edge-tracer-deno-"));
  await writeFile(join(dir, "example.mjs"), bundle);
  // Withholds AsyncLocalStorage: the example's `import { AsyncLocalStorage } from "node:async_hooks"` gets undefined.
  await writeFile(join(dir, "no-als.mjs"), "export const AsyncLocalStorage = undefined;\n");
  await writeFile(join(dir, "no-als.json"), JSON.stringify({ imports: { "node:async_hooks": "./no-als.mjs" } }));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

export interface DenoOptions {
  routes: Routes;
  env: Record<string, string>;
  asyncLocalStorage: boolean;
}

/**
 * Starts the bundle in `dir` with `deno run`: network to 127.0.0.1 only; environment limited to the secrets the
 * example reads (`--allow-env=…`), every other read answered `undefined` (`--ignore-env`) so the SDKs'
 * optional env lookups neither prompt nor throw.
 */
export async function startDeno(dir: string, options: DenoOptions): Promise<DenoServer> {
  const args = ["run", "--no-prompt", "--allow-net=127.0.0.1", `--allow-env=${Object.keys(options.env).join(",")}`, "--ignore-env"];
  if (!options.asyncLocalStorage) args.push("--import-map=no-als.json");
  const child = spawn(denoBinary, [...args, "example.mjs", JSON.stringify(options.routes)], {
    cwd: dir,
    env: { PATH: process.env.PATH, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(dir, "deno-dir"), NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  try {
    const ready = await new Promise<{ port: number; runtime: string; asyncLocalStorage: boolean }>((resolve, reject) => {
      createInterface({ input: child.stdout }).on("line", (line) => line.startsWith("{") && resolve(JSON.parse(line)));
      child.once("exit", (code) => reject(new Error(`deno exited (${code}) before listening:\n${stderr}`)));
      setTimeout(() => reject(new Error(`deno did not listen within 20 s:\n${stderr}`)), 20_000).unref();
    });
    return { url: `http://127.0.0.1:${ready.port}`, runtime: ready.runtime, asyncLocalStorage: ready.asyncLocalStorage, stderr: () => stderr, close };
  } catch (error) {
    await close();
    throw error;
  }
}
