// The log event phospho gets: the real token counts and model of the calls it claimed, `environment` where phospho
// keeps it, and no input its token estimator raises on (which would lose every log of the request). Checked with
// the model of its server (test/phospho-server).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { capturePhospho } from "../../test/phospho-server/capture.js";
import { checkV2Log, phosphoProblems } from "../../test/phospho-server/model.js";
import { resolveConfig, type TracerConfig } from "../model/config.js";
import type { ExportBatch } from "../model/exporter.js";
import type { LlmCall } from "../model/records.js";
import { buildBatch } from "../pipeline/batch.js";
import { createCollector, type Collector } from "../record/collector.js";
import { resetWarnings } from "../util/warn.js";
import { phosphoExporter } from "./phospho.js";

beforeEach(() => void vi.spyOn(console, "warn").mockImplementation(() => {}));
afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

const collector = (config: TracerConfig = {}) => createCollector(resolveConfig(config));

async function exported(batch: ExportBatch) {
  const capture = capturePhospho();
  await phosphoExporter({ apiKey: "k", projectId: "p", baseUrl: "https://phospho.test" })
    .export(batch, { signal: new AbortController().signal, deadline: Date.now() + 5_000, fetch: capture.fetch });
  return { events: capture.events(), summary: phosphoProblems(capture.requests) };
}

function call(c: Collector, llm: Partial<LlmCall>) {
  const step = c.startStep(c.root, "llm", "chat")!;
  step.llm = { provider: "openai", operation: "chat", serverAddress: "api.openai.com", params: {}, streamed: false, choices: [{ index: 0, text: "ok" }], ...llm };
  c.endStep(step, "ok");
}

describe("token counts on the log", () => {
  it("sums the usage of the LLM calls the log claims and names the last one's model", async () => {
    const c = collector();
    call(c, { requestModel: "gpt-4o-mini", responseModel: "gpt-4o-mini-2024-07-18", usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 } });
    call(c, { requestModel: "mistral-small-latest", usage: { inputTokens: 10, outputTokens: 5 } });
    call(c, { requestModel: "gpt-4o", operation: "embeddings", choices: [] }); // no usage: adds nothing
    c.addLog(c.root, { input: "q", metadata: { plan: "pro" } });
    const batch = buildBatch(c, c.config);
    const { events, summary } = await exported(batch);
    expect(events[0]!.metadata).toEqual({ plan: "pro", prompt_tokens: 13, completion_tokens: 6, total_tokens: 19, model: "gpt-4o" });
    expect(summary.problems).toEqual([]);
    // Sent to phospho only: the batch other exporters get is unchanged.
    expect(batch.logs[0]!.metadata).toEqual({ plan: "pro" });
  });

  it("keeps the counts and model the user set", async () => {
    const c = collector();
    call(c, { requestModel: "gpt-4o-mini", usage: { inputTokens: 3, outputTokens: 1 } });
    c.addLog(c.root, { input: "q", metadata: { prompt_tokens: 100, model: "mine" } });
    const { events } = await exported(buildBatch(c, c.config));
    expect(events[0]!.metadata).toEqual({ prompt_tokens: 100, completion_tokens: 1, total_tokens: 4, model: "mine" });
  });

  it("sends no count for calls without usage: the server estimates them", async () => {
    const c = collector();
    call(c, { requestModel: "gpt-4o-mini", streamed: true });
    c.addLog(c.root, { input: "q" });
    const { events, summary } = await exported(buildBatch(c, c.config));
    expect(events[0]!.metadata).toEqual({ model: "gpt-4o-mini" });
    expect(summary.problems).toEqual([]);
  });
});

describe("inputs phospho's token estimator raises on", () => {
  const SPECIAL = "Explain <|endoftext|> to me";
  const PARTS = [{ role: "user", content: [{ type: "text", text: "What is in this image?" }, { type: "image_url", image_url: { url: "https://x/y.png" } }] }];

  it.each([
    ["text with a special token", SPECIAL],
    ["messages whose content is not text", PARTS],
    ["strings with a special token", ["fine", SPECIAL]],
  ])("would lose the request without a count (%s): real counts avoid the estimator", async (_, input) => {
    const c = collector();
    c.addLog(c.root, { input, output: "a" });
    const withoutCount = (await exported(buildBatch(c, c.config))).events[0]!;
    // The model confirms the raise when the event carries no count at all.
    const { prompt_tokens: _count, "edge_tracer.warnings": _warnings, ...metadata } = withoutCount.metadata;
    expect(checkV2Log({ batched_log_events: [{ ...withoutCount, metadata }] }).problems).toEqual([expect.stringMatching(/^\[v2\.tokens-raise\]/)]);

    const real = collector();
    call(real, { requestModel: "gpt-4o-mini", usage: { inputTokens: 7, outputTokens: 2 } });
    real.addLog(real.root, { input, output: "a" });
    const { events, summary } = await exported(buildBatch(real, real.config));
    expect(events[0]!.metadata).toMatchObject({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    expect(summary.problems).toEqual([]);
  });

  it.each([
    ["text with a special token", SPECIAL],
    ["messages whose content is not text", PARTS],
  ])("sends an estimate of its own, and says so, where no call reports usage (%s)", async (_, input) => {
    const c = collector();
    c.addLog(c.root, { input, output: "a" });
    const batch = buildBatch(c, c.config);
    const { events, summary } = await exported(batch);
    expect(events[0]!.metadata).toMatchObject({
      prompt_tokens: Math.ceil(batch.logs[0]!.input.length / 4),
      "edge_tracer.warnings": [expect.stringMatching(/^prompt_tokens: estimated/)],
    });
    expect(summary).toMatchObject({ eventsStored: 1, problems: [] });
  });

  it("leaves an input the estimator reads to the server", async () => {
    const c = collector();
    c.addLog(c.root, { input: [{ role: "user", content: "plain text" }], output: "a" });
    const { events, summary } = await exported(buildBatch(c, c.config));
    expect(events[0]!.metadata).toEqual({});
    expect(summary.problems).toEqual([]);
  });
});

describe("environment", () => {
  it("goes in the metadata, where phospho keeps it, as well as top level", async () => {
    const c = collector({ environment: "staging" });
    c.addLog(c.root, { input: "q", output: "a" });
    const { events, summary } = await exported(buildBatch(c, c.config));
    expect(events[0]).toMatchObject({ environment: "staging", metadata: { environment: "staging" } });
    expect(summary.problems).toEqual([]);
    const stored = checkV2Log({ batched_log_events: events }).events[0]!;
    expect(stored.ok && stored.stored.metadata.environment).toBe("staging");
  });

  it("leaves a metadata key `environment` the user set", async () => {
    const c = collector({ environment: "staging" });
    c.addLog(c.root, { input: "q", output: "a", metadata: { environment: "mine" } });
    const { events } = await exported(buildBatch(c, c.config));
    expect(events[0]!.metadata).toEqual({ environment: "mine" });
  });
});
