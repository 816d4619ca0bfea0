// The package as a user gets it: `npm pack` (prepack builds dist/), installed into a fresh Worker project,
// bundled by wrangler, run in workerd against loopback mocks, and the README's quickstart type-checked against
// the packed .d.ts files with @cloudflare/workers-types.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fetch as miniflareFetch, Miniflare, Response as MiniflareResponse, type Request as MiniflareRequest } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "./mocks/mock-llm.mjs";
import { startMockPhospho, type MockPhospho } from "./mocks/mock-phospho.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);
const TIMEOUT = 180_000;
const secrets = { OPENAI_API_KEY: "sk-test-openai-pack", PHOSPHO_API_KEY: "phospho-pack-key", PHOSPHO_PROJECT_ID: "proj_pack" };

/** Runs a command; on failure the error carries its output, so a broken pack or install explains itself. */
async function sh(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  try {
    return await run(file, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed in ${cwd}\n${stdout}\n${stderr}`, { cause: error });
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The first ```ts block of the README's `## Quickstart` section: a whole Worker module. */
function quickstartSource(readme: string): string {
  const lines = readme.split("\n");
  const start = lines.findIndex((line) => line.trimEnd() === "## Quickstart");
  const section = start < 0 ? "" : lines.slice(start + 1).join("\n").split(/\n## /)[0]!;
  const source = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (source === undefined) throw new Error("README.md has no ```ts block under `## Quickstart`");
  return `${source}\n`;
}

/** A Worker written the way the quickstart is, pointed at the loopback mocks by its env. */
const WORKER = `// Uses edge-tracer as installed from the tarball, the way the README's quickstart does.
import OpenAI from "openai";
import { withTracer } from "edge-tracer";

interface Env { OPENAI_API_KEY: string; LLM_URL: string; PHOSPHO_API_KEY: string; PHOSPHO_PROJECT_ID: string; PHOSPHO_BASE_URL: string }

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) =>
    withTracer(ctx, async (t) => {
      const baseURL = env.LLM_URL + "/openai/v1";
      const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY, baseURL, fetch: t.fetch, maxRetries: 0 });
      const question = await request.text();
      const answer = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: question }] });
      const output = answer.choices[0]?.message.content ?? "";
      // Every member of the handle also works detached from it.
      const { fetch, log } = t;
      const second = new OpenAI({ apiKey: env.OPENAI_API_KEY, baseURL, fetch, maxRetries: 0 });
      const color = await second.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say a color" }] });
      log({ input: question, output });
      return new Response(output + " / " + (color.choices[0]?.message.content ?? ""));
    }, {
      apiKey: env.PHOSPHO_API_KEY,
      projectId: env.PHOSPHO_PROJECT_ID,
      baseUrl: env.PHOSPHO_BASE_URL,
      // The mock is on loopback: declare it so its calls are traced like api.openai.com's.
      providers: [{ baseUrl: env.LLM_URL + "/openai", kind: "openai" }],
    }),
};
`;

const PROJECT = {
  name: "edge-tracer-pack-smoke",
  private: true,
  type: "module",
  dependencies: { openai: "6.49.0" },
  devDependencies: { "@cloudflare/workers-types": "4.20260702.1", typescript: "5.9.3" },
};

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "ESNext",
    moduleResolution: "Bundler",
    lib: ["ES2022"],
    types: ["@cloudflare/workers-types"],
    strict: true,
    noEmit: true,
  },
  include: ["src"],
};

describe("the packed package", () => {
  let tmp: string, project: string, tarball: string, unpacked: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "edge-tracer-pack-"));
    // prepack builds dist/ first.
    await sh("npm", ["pack", "--pack-destination", tmp], root);
    tarball = join(tmp, (await readdir(tmp)).find((name) => name.endsWith(".tgz"))!);
    unpacked = join(tmp, "unpacked");
    await mkdir(unpacked);
    await sh("tar", ["-xzf", tarball, "-C", unpacked], tmp);

    project = join(tmp, "worker");
    await mkdir(join(project, "src"), { recursive: true });
    const pkg = { ...PROJECT, dependencies: { "edge-tracer": `file:${tarball}`, ...PROJECT.dependencies } };
    await writeFile(join(project, "package.json"), JSON.stringify(pkg, null, 2));
    await writeFile(join(project, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    await writeFile(join(project, "wrangler.toml"), 'name = "edge-tracer-pack-smoke"\nmain = "src/worker.ts"\ncompatibility_date = "2026-05-01"\n');
    await writeFile(join(project, "src/worker.ts"), WORKER);
    await writeFile(join(project, "src/quickstart.ts"), quickstartSource(await readFile(join(root, "README.md"), "utf8")));
    await sh("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], project);
  }, TIMEOUT);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("ships dist with its types, README.md and LICENSE, and no test", async () => {
    const { stdout } = await sh("tar", ["-tzf", tarball], tmp);
    const files = stdout.split("\n").filter(Boolean);
    for (const file of ["dist/index.js", "dist/index.d.ts", "dist/otlp.js", "dist/otlp.d.ts", "LICENSE", "README.md", "package.json"]) {
      expect(files).toContain(`package/${file}`);
    }
    expect(files.filter((file) => /\.test\./.test(file))).toEqual([]);
    expect(files.filter((file) => !/^package\/(dist\/|README\.md$|LICENSE$|package\.json$)/.test(file))).toEqual([]);

    // Source maps inline their sources, so this also reads what the maps carry.
    const importsVitest = /(from\s*\\?["']vitest|import\(\s*\\?["']vitest|require\(\s*\\?["']vitest)/;
    const offenders: string[] = [];
    for (const file of await filesUnder(unpacked)) if (importsVitest.test(await readFile(file, "utf8"))) offenders.push(file);
    expect(offenders).toEqual([]);
  });

  it("has every file its exports map names, and no test-only dependency", async () => {
    const manifest = JSON.parse(await readFile(join(unpacked, "package/package.json"), "utf8"));
    const targets = Object.values(manifest.exports as Record<string, string | Record<string, string>>)
      .flatMap((entry) => (typeof entry === "string" ? [entry] : Object.values(entry)));
    for (const target of targets) await expect(readFile(join(unpacked, "package", target))).resolves.toBeDefined();
    expect(Object.keys(manifest.dependencies)).not.toContain("@opentelemetry/core");
  });

  it("type-checks the README quickstart and the Worker against the packed .d.ts with workers-types", async () => {
    await sh(process.execPath, [join(project, "node_modules/typescript/bin/tsc"), "-p", "."], project);
  }, TIMEOUT);

  describe("bundled by wrangler, run in workerd", () => {
    let llm: MockLlm, phospho: MockPhospho, mf: Miniflare;

    beforeAll(async () => {
      const out = join(tmp, "out");
      await sh(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out], project, {
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_LOG_PATH: join(tmp, "wrangler-logs"),
      });
      const contents = await readFile(join(out, "worker.js"), "utf8");
      llm = await startMockLlm({ port: 0 });
      phospho = await startMockPhospho({ apiKey: secrets.PHOSPHO_API_KEY, projectId: secrets.PHOSPHO_PROJECT_ID });
      const allowed = [llm.url, phospho.url];
      mf = new Miniflare({
        // A relative path: workerd refuses an absolute one.
        modules: [{ type: "ESModule", path: "worker.js", contents }],
        compatibilityDate: "2026-05-01",
        bindings: { ...secrets, LLM_URL: llm.url, PHOSPHO_BASE_URL: phospho.url },
        // Only the loopback mocks answer: the Worker never reaches the internet.
        outboundService: async (request: MiniflareRequest) => {
          if (!allowed.some((url) => request.url.startsWith(`${url}/`))) return new MiniflareResponse(`no mock answers ${request.url}`, { status: 502 });
          const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
          return miniflareFetch(request.url, { method: request.method, headers: request.headers, body });
        },
      });
      await mf.ready;
    }, TIMEOUT);

    afterAll(async () => {
      await mf?.dispose();
      await Promise.all([llm?.close(), phospho?.close()]);
    });

    it("answers through the OpenAI SDK and delivers the log and its steps to phospho", async () => {
      const response = await mf.dispatchFetch("http://worker.test/", { method: "POST", body: "Name an animal" });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("Otter / Teal");
      expect(llm.requests.map((request) => request.path)).toEqual(["/openai/v1/chat/completions", "/openai/v1/chat/completions"]);

      // The export runs in waitUntil after the response, and dispose() would kill it: wait for it to land.
      const { logs, spans } = await phospho.waitFor((s) => s.logs.length >= 1 && s.spans.length >= 2 && s);
      expect(phospho.errors).toEqual([]);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({ input: "Name an animal", output: "Otter" });
      const chats = spans.filter((span) => span.attributes["gen_ai.operation.name"] === "chat");
      expect(chats.map((span) => span.attributes["gen_ai.completion.0.content"])).toEqual(["Otter", "Teal"]);
      for (const span of chats) expect(span.attributes["phospho.task_id"]).toBe(logs[0]!.task_id);
    });
  });
});
