// detectRuntime(): the right name in each real runtime, and never fooled by Node compatibility layers
// (workerd's nodejs_compat, Deno and Next.js all define `process`).
import { AsyncLocalStorage } from "node:async_hooks";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EdgeVM } from "@edge-runtime/vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { detectRuntime } from "../../src/util/detect-runtime.js";
import { denoBinary } from "./support/deno.js";
import { startWorkerd } from "./support/workerd.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** A tiny program that reports detectRuntime(), bundled in `format`. */
async function probe(format: "esm" | "iife", tail: string): Promise<string> {
  const result = await build({
    absWorkingDir: root,
    stdin: { contents: `import { detectRuntime } from "./src/util/detect-runtime.ts";\n${tail}`, resolveDir: root, loader: "ts" },
    bundle: true,
    write: false,
    format,
    platform: "browser",
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

describe("detectRuntime", () => {
  it("names each runtime from its globals", () => {
    expect(detectRuntime()).toBe("node");
    expect(detectRuntime({ navigator: { userAgent: "Cloudflare-Workers" }, process: { env: {} } })).toBe("workerd");
    expect(detectRuntime({ EdgeRuntime: "edge-runtime", process: { env: {} } })).toBe("edge-light");
    expect(detectRuntime({ Deno: { version: { deno: "2.9.6" } }, process: { env: {} }, navigator: { userAgent: "Deno/2.9.6" } })).toBe("deno");
    expect(detectRuntime({ Bun: {}, navigator: { userAgent: "Bun/1.2.0" } })).toBe("bun");
    expect(detectRuntime({ navigator: { userAgent: "Node.js/22" } })).toBe("node");
    expect(detectRuntime({})).toBe("unknown");
    expect(detectRuntime({ navigator: { userAgent: "Mozilla/5.0" } })).toBe("unknown");
  });

  it.each([[[]], [["nodejs_compat"]]])("says workerd in workerd (compatibility flags %j)", async (flags) => {
    const worker = await startWorkerd(await probe("esm", "export default { fetch: () => new Response(detectRuntime()) };"), { compatibilityFlags: flags });
    try {
      expect(await (await worker.dispatchFetch("http://probe.test/")).text()).toBe("workerd");
    } finally {
      await worker.dispose();
    }
  });

  it("says edge-light in Vercel's Edge Runtime, set up as Next.js does it", async () => {
    const vm = new EdgeVM({ extend: (context) => Object.assign(context, { process: { env: {} }, AsyncLocalStorage }) });
    expect(vm.evaluate(`${await probe("iife", "globalThis.detected = detectRuntime();")}; globalThis.detected`)).toBe("edge-light");
  });

  it("says deno in Deno", async () => {
    const dir = await mkdtemp(join(tmpdir(), "edge-tracer-detect-"));
    try {
      await writeFile(join(dir, "probe.mjs"), await probe("esm", "console.log(detectRuntime());"));
      const { stdout } = await promisify(execFile)(denoBinary, ["run", "--no-prompt", join(dir, "probe.mjs")], {
        env: { PATH: process.env.PATH, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(dir, "deno-dir"), NO_COLOR: "1" },
      });
      expect(stdout.trim()).toBe("deno");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
