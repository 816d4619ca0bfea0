// The example Worker end to end in workerd: official SDKs (streaming included) → loopback mock LLM,
// traces → a strict loopback mock of phospho that decodes the protobuf with an independent decoder.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Miniflare } from "miniflare";
import { startMockLlm, type MockLlm } from "./mocks/mock-llm.mjs";
import { startMockPhospho, type MockPhospho } from "./mocks/mock-phospho.mjs";
import { startWorker } from "./support/workerd.js";

const STORY = "Once upon a time, a teal otter floated on a quiet river, holding hands with a friend so neither would drift away. The end.";
const secrets = { OPENAI_API_KEY: "sk-test-openai-SECRET-1234", MISTRAL_API_KEY: "mistral-SECRET-5678", PHOSPHO_API_KEY: "phospho-SECRET-9999" };

async function setup(phosphoDelayMs = 0) {
  const llm = await startMockLlm({ chunkDelayMs: 5 });
  const phospho = await startMockPhospho({ apiKey: secrets.PHOSPHO_API_KEY, projectId: "proj_example", delayMs: phosphoDelayMs });
  const worker = await startWorker("worker-example/index.ts", {
    compatibilityFlags: ["nodejs_als"],
    bindings: { ...secrets, MOCK_LLM_URL: llm.url, PHOSPHO_PROJECT_ID: "proj_example", PHOSPHO_BASE_URL: phospho.url },
  });
  return { llm, phospho, worker };
}

describe("example Worker in workerd", () => {
  let llm: MockLlm, phospho: MockPhospho, worker: Miniflare;
  beforeAll(async () => ({ llm, phospho, worker } = await setup()));
  afterAll(async () => {
    await worker?.dispose();
    await Promise.all([llm?.close(), phospho?.close()]);
  });

  it("answers the client with the streamed story, untouched", async () => {
    const response = await worker.dispatchFetch("http://example.test/?q=Tell+me+a+story", { headers: { "x-session-id": "session-e2e" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(`${STORY}\n`);
  });

  it("exports one log with the question, the streamed answer and the scope's session and metadata", async () => {
    const log = (await phospho.waitFor((s) => s.logs.length >= 1 && s.logs))[0]!;
    expect(phospho.errors).toEqual([]);
    expect(log.input).toBe("Tell me a story");
    expect(log.output).toBe(STORY);
    expect(log.session_id).toBe("session-e2e");
    expect(log.task_id).toMatch(/^task_[0-9a-f]{32}$/);
    expect(log.metadata).toMatchObject({ route: "/" });
    expect(Number.isInteger(log.client_created_at)).toBe(true);
    expect(Math.abs(log.client_created_at - Date.now() / 1000)).toBeLessThan(120);
  });

  it("exports every step as a span that names its log's task_id", async () => {
    const spans = await phospho.waitFor((s) => s.spans.length >= 5 && s.spans);
    const log = phospho.logs[0]!;
    expect(phospho.errors).toEqual([]);
    for (const span of spans) {
      expect(span.attributes["phospho.task_id"]).toBe(log.task_id);
      expect(span.attributes["phospho.session_id"]).toBe("session-e2e");
      expect(span.traceId).toBe(spans[0]!.traceId);
    }
    const llmSpans = spans.filter((span) => span.attributes["gen_ai.operation.name"] === "chat");
    expect(llmSpans.map((span) => [span.name, span.attributes["gen_ai.system"]])).toEqual([
      ["chat gpt-4o-mini", "openai"],
      ["chat mistral-small-latest", "mistral_ai"],
      ["chat gpt-4o-mini", "openai"],
    ]);
    const [color, animal, story] = llmSpans as [(typeof spans)[0], (typeof spans)[0], (typeof spans)[0]];
    expect(color.attributes).toMatchObject({
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
      "gen_ai.request.max_tokens": 5,
      "gen_ai.prompt.0.role": "user",
      "gen_ai.prompt.0.content": "Say a color",
      "gen_ai.completion.0.content": "Teal",
      "gen_ai.usage.input_tokens": 3,
      "gen_ai.usage.output_tokens": 1,
      "gen_ai.usage.prompt_tokens": 3,
      "http.response.status_code": 200,
    });
    expect(animal.attributes["gen_ai.completion.0.content"]).toBe("Otter");
    expect(animal.attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"]);
    expect(story.attributes["gen_ai.request.stream"]).toBe(true);
    expect(story.attributes["gen_ai.completion.0.content"]).toBe(STORY);
    expect(story.attributes["gen_ai.usage.output_tokens"]).toBe(STORY.split(/\s+/).length);
    expect(story.attributes["gen_ai.response.time_to_first_chunk"]).toBeGreaterThanOrEqual(0);
    expect(story.attributes["edge_tracer.stream.chunks"]).toBeGreaterThan(10);

    const retrieve = spans.find((span) => span.name === "retrieve facts")!;
    expect(retrieve.attributes["gen_ai.input"]).toBe("Otter");
    expect(JSON.parse(String(retrieve.attributes["gen_ai.output"]))).toContain("Sea otters use stones as tools.");
    const manual = spans.find((span) => span.name === `phospho.${log.task_id}_intermediate_0`)!;
    expect(manual.attributes["gen_ai.name"]).toBe("compose prompt");
    expect(manual.attributes["gen_ai.output"]).toContain("Feature Teal and Otter");
  });

  it("sends one request per destination per invocation, authenticated", () => {
    expect(phospho.requests.map((request) => request.path).sort()).toEqual(["/v2/log/proj_example", "/v3/otl/proj_example"]);
  });

  it("never exports an API key: not one byte of any request body", () => {
    // latin1 keeps every byte as one character, so a key inside protobuf or JSON shows up as its ASCII text.
    const exported = phospho.requests.map((request) => Buffer.from(request.body).toString("latin1")).join("\n");
    expect(exported.length).toBeGreaterThan(1_000);
    for (const secret of Object.values(secrets)) expect(exported).not.toContain(secret);
    // The SDKs did send them upstream: the tracer read nothing it should not have.
    expect(llm.requests.some((request) => request.headers.authorization === `Bearer ${secrets.OPENAI_API_KEY}`)).toBe(true);
  });
});

describe("a slow export", () => {
  it("does not hold back the client's response", async () => {
    const { llm, phospho, worker } = await setup(1_500);
    try {
      const response = await worker.dispatchFetch("http://example.test/?q=Tell+me+a+story");
      expect(await response.text()).toBe(`${STORY}\n`);
      const answeredAt = Date.now();
      const requests = await phospho.waitFor((s) => s.requests.length === 2 && s.requests.every((r) => r.finishedAt) && s.requests);
      for (const request of requests) expect(request.finishedAt!).toBeGreaterThan(answeredAt);
      expect(phospho.logs).toHaveLength(1);
    } finally {
      await worker.dispose();
      await Promise.all([llm.close(), phospho.close()]);
    }
  });
});
