// phospho keeps everything we send (issue 12), end to end in workerd: colliding and digit-only keys, an OpenTelemetry
// span with db.system and db.system.name, a Vercel AI SDK call with its telemetry, and an invocation without log(),
// all exported to the strict mock, whose model of phospho's server must refuse no event, lose no span and find
// every task's Steps view valid.
import type { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "./mocks/mock-llm.mjs";
import { startMockPhospho, type MockPhospho } from "./mocks/mock-phospho.mjs";
import { checkV3Otl, type StoredSpan } from "./phospho-server/model.js";
import { startWorker } from "./support/workerd.js";

let llm: MockLlm, phospho: MockPhospho, worker: Miniflare;
beforeAll(async () => {
  [llm, phospho] = await Promise.all([startMockLlm(), startMockPhospho({ apiKey: "phospho-key", projectId: "proj_fidelity" })]);
  worker = await startWorker("test/workers/phospho-fidelity.ts", { compatibilityFlags: ["nodejs_als"], bindings: { MOCK_LLM_URL: llm.url, PHOSPHO_URL: phospho.url } });
});
// In strict mode close() also fails on any problem the model found that no assertion below took.
afterAll(async () => {
  await worker?.dispose();
  await Promise.all([llm?.close(), phospho?.close()]);
});

/** Runs one route and waits for its log and `spans` spans; returns the log event and the spans as phospho stores them. */
async function exported(route: string, spans: number) {
  const response = await worker.dispatchFetch(`http://app.test${route}`);
  expect(response.status).toBe(200);
  const answer = await response.text();
  const before = new Set(phospho.logs);
  const log = await phospho.waitFor((s) => s.logs.find((event) => !before.has(event) && event.output === answer) ?? s.logs.at(-1));
  const stored = (): StoredSpan[] => phospho.requests
    .filter((request) => request.path.startsWith("/v3/otl/") && request.status === 200)
    .flatMap((request) => checkV3Otl(request.body).stored)
    .filter((span) => span.taskId === log.task_id);
  await phospho.waitFor(() => stored().length >= spans);
  const byName = (name: string) => stored().find((span) => span.name === name)?.attributes as Record<string, any>;
  return { log, answer, stored: stored(), byName };
}

describe("what phospho keeps of our exports", () => {
  it("keeps colliding and digit-only keys of log metadata, custom and manual steps, renamed, with ids as strings", async () => {
    const { log, stored, byName } = await exported("/colliding", 3);
    expect(log).toMatchObject({ input: "q", user_id: "42", version_id: "7", environment: "staging" });
    expect(log).not.toHaveProperty("flag");
    expect(log.metadata).toMatchObject({
      user: "bob", "user.tier": "pro", "0": "zero", environment: "staging", prompt_tokens: 3, model: "gpt-4o-mini-2024-07-18",
      "edge_tracer.warnings": ['flag: "maybe" is not "success" or "failure", left out'],
    });
    expect(log.metadata.total_tokens).toBe(3 + log.metadata.completion_tokens);
    for (const span of stored) {
      expect(span.sessionId).toEqual(expect.any(String));
      expect(span.metadata).toMatchObject({ user: { _value: "bob", tier: "pro" }, _0: "zero", nested: { _1: "one" }, environment: "staging" });
    }
    expect(byName("retrieve").gen_ai).toEqual({ name: "retrieve", input: "q", output: "3 docs", metadata: { gen_ai: { _value: "mine", system: "also mine" }, phospho: "p", _0: "zero" } });
    expect(byName(`phospho.${log.task_id}_intermediate_0`).gen_ai).toEqual({ name: "rerank", input: "3 docs", output: "1 doc", _1: "one", gen_ai: { _1: "x", system: "manual" } });
    expect(byName("chat gpt-4o-mini").gen_ai).toMatchObject({ system: "openai", operation: { name: "chat" }, prompt: [{ role: "user", content: "Summarise 3 docs" }] });
  });

  it("keeps an OpenTelemetry span with db.system and db.system.name as a step of its task", async () => {
    const { byName } = await exported("/otel", 2);
    expect(byName("SELECT plans")).toMatchObject({
      edge_tracer: { step: { kind: "custom" } },
      gen_ai: { name: "SELECT plans", metadata: { db: { system: { _value: "postgresql", name: "postgresql" }, query: { text: "SELECT 1" } } } },
    });
    expect(byName("SELECT plans")).not.toHaveProperty("db");
    expect(byName("chat gpt-4o-mini").gen_ai.operation.name).toBe("chat");
  });

  it("shows an AI SDK call without log() as a task, with real token counts and the SDK's spans as its steps", async () => {
    const { log, stored, byName } = await exported("/ai-sdk", 3);
    expect(log).toMatchObject({ input: "Say a color", output: "Teal" });
    expect(log.metadata).toMatchObject({ "edge_tracer.auto_log": true, prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, model: "gpt-4o-mini-2024-07-18", environment: "staging" });
    expect(stored.map((span) => span.name).sort()).toEqual(["ai.generateText", "ai.generateText.doGenerate", "chat gpt-4o-mini"]);
    for (const name of ["ai.generateText", "ai.generateText.doGenerate"]) {
      const span = byName(name);
      // The SDK's own attributes stay its span's metadata: none fills phospho's gen_ai fields or sits at top level.
      expect(Object.keys(span).sort()).toEqual(["edge_tracer", "gen_ai", "phospho"]);
      expect(Object.keys(span.gen_ai).sort()).toEqual(["metadata", "name"]);
      expect(span.gen_ai.metadata.operation.name).toMatch(new RegExp(`^${name.replaceAll(".", "\\.")} color$`));
    }
    expect(byName("ai.generateText.doGenerate").gen_ai.metadata.gen_ai).toMatchObject({ system: "openai.chat", request: { model: "gpt-4o-mini" } });
    expect(byName("chat gpt-4o-mini").gen_ai.operation.name).toBe("chat");
  });

  it("has phospho refuse no event, lose no span and fail no task's Steps view", async () => {
    const summary = phospho.serverModelSummary()!;
    expect(summary).toMatchObject({ requests: 6, requestsRefused: 0, eventsStored: 3, eventsRefused: 0, spansStored: 8, spansLost: 0, taskViewsFailing: {}, problems: [] });
    expect(phospho.errors).toEqual([]);
  });
});
