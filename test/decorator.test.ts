// trace() as a TS 5 (standard) method decorator, compiled the way a user's bundler does it.
// It needs Node's AsyncLocalStorage or fs, so it lives in test/ and src/ stays free of Node imports.
import { pathToFileURL } from "node:url";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { expect, it } from "vitest";
import type { ExportBatch } from "../src/index.js";

it("scopes each call of a decorated method, keeping `this`, arguments and the return value", async () => {
  const bundled = await build({
    entryPoints: ["test/fixtures/decorated-bot.ts"],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "es2022",
    alias: { "edge-tracer": "./src/index.ts" },
  });
  const dir = mkdtempSync(join(tmpdir(), "edge-tracer-"));
  const file = join(dir, "bot.mjs");
  writeFileSync(file, bundled.outputFiles[0]!.text);
  const { run } = (await import(pathToFileURL(file).href)) as { run(): Promise<{ result: string; batches: ExportBatch[] }> };
  rmSync(dir, { recursive: true, force: true });
  const { result, batches } = await run();
  expect(result).toBe("ada:hello");
  expect(batches[0]!.logs[0]).toMatchObject({ input: "hello", output: "ada says hi", session_id: "s-decorated", metadata: { bot: "v2" } });
});
