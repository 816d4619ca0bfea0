// Sampling (head rate, LLM-aware keep rules) and privacy (recordContent, redact) as a user sees them in exports.
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { withTracer, type TracerConfig } from "../index.js";

afterEach(() => vi.restoreAllMocks());

const OPENAI = "https://api.openai.com/v1/chat/completions";
function llmReplies(finishReason = "stop", status = 200) {
  vi.spyOn(globalThis, "fetch").mockImplementation(async () =>
    (await new Promise((resolve) => setTimeout(resolve, 15)), Response.json({ model: "m", choices: [{ index: 0, message: { content: "secret answer" }, finish_reason: finishReason }], usage: { prompt_tokens: 10, completion_tokens: 5 } }, { status })),
  );
}
const ask = (t: { fetch: typeof fetch }, content = "secret prompt") =>
  t.fetch(OPENAI, { method: "POST", body: JSON.stringify({ model: "m", messages: [{ role: "user", content }] }) }).then((r) => r.text());

async function run(config: TracerConfig, body: (t: Parameters<Parameters<typeof withTracer>[1]>[0]) => Promise<void>) {
  const memory = memoryExporter();
  await withTracer(undefined, body, { ...config, exporters: [memory] });
  return memory.batches;
}

describe("sampling", () => {
  it("drops an invocation the head decision skipped when no keep rule matches", async () => {
    llmReplies();
    expect(await run({ sampleRate: 0 }, async (t) => { await ask(t); t.log({ input: "q" }); })).toEqual([]);
  });

  it.each([
    ["errors", { errors: true }, "stop", 500],
    ["slow calls", { slowerThanMs: 5 }, "stop", 200],
    ["heavy token use", { moreTokensThan: 14 }, "stop", 200],
    ["truncated answers", { finishReasons: ["length"] }, "length", 200],
  ])("keeps %s even at a 0%% sample", async (_name, keep, finish, status) => {
    llmReplies(finish as string, status as number);
    const batches = await run({ sampleRate: 0, keep }, async (t) => { await ask(t); t.log({ input: "q" }); });
    expect(batches[0]!.logs).toHaveLength(1);
  });

  it("keeps a log flagged as a failure when errors are kept", async () => {
    const batches = await run({ sampleRate: 0, keep: { errors: true } }, async (t) => void t.log({ input: "q", output: "a", flag: "failure" }));
    expect(batches[0]!.logs[0]!.flag).toBe("failure");
  });
});

describe("privacy", () => {
  it("records metadata only with recordContent: false", async () => {
    llmReplies();
    const [batch] = await run({ recordContent: false }, async (t) => { await ask(t); t.log({ input: "secret input", output: "secret output", metadata: { plan: "pro" } }); });
    const exported = JSON.stringify(batch);
    expect(exported).not.toMatch(/secret/);
    const log = batch!.logs[0]!;
    expect(log).toMatchObject({ input: "", output: null, metadata: { plan: "pro", "edge_tracer.content_recorded": false } });
    expect(log.steps[0]!.llm).toMatchObject({ requestModel: "m", usage: { inputTokens: 10, outputTokens: 5 }, choices: [{ finishReason: "stop" }] });
  });

  it("lets redact rewrite or drop logs and steps before export", async () => {
    llmReplies();
    const [batch] = await run(
      {
        redact: (item) => {
          if (item.kind === "step") return item.name === "drop me" ? null : { ...item, input: String(item.input).replace(/secret/g, "[redacted]"), output: "[redacted]" };
          return { ...item, input: String(item.input).replace(/\d{4}-\d{4}/g, "****") };
        },
      },
      async (t) => {
        await ask(t);
        await t.step("drop me", async () => "x");
        t.log({ input: "card 1234-5678", output: "ok" });
      },
    );
    const exported = JSON.stringify(batch);
    expect(exported).not.toContain("secret");
    expect(exported).not.toContain("1234-5678");
    const log = batch!.logs[0]!;
    expect(log.input).toBe("card ****");
    expect(log.steps.map((step) => step.name)).toEqual(["chat m"]);
    expect(log.steps[0]!.outputText).toBe("[redacted]");
  });

  it("tells redact which provider, model and operation an LLM step called", async () => {
    llmReplies();
    const seen: unknown[] = [];
    await run({ redact: (item) => (item.kind === "step" && seen.push({ provider: item.provider, model: item.model, operation: item.operation }), item) }, async (t) => {
      await ask(t);
      await t.step("tool", async () => "x");
      t.log({ input: "q", output: "a" });
    });
    expect(seen).toEqual([{ provider: "openai", model: "m", operation: "chat" }, { provider: undefined, model: undefined, operation: undefined }]);
  });

  it("drops an item whose redact hook throws, and warns once", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const batches = await run({ redact: () => { throw new Error("hook bug"); } }, async (t) => void t.log({ input: "q", output: "a" }));
    expect(batches.flatMap((batch) => batch.logs)).toEqual([]);
    expect(String(warn.mock.calls[0]![0])).toContain("`redact` hook threw");
  });
});
