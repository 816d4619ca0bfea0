// GenAI attributes per operation, and `semconv`: current names only, legacy names only, or both.
import { describe, expect, it } from "vitest";
import type { LlmCall } from "../model/records.js";
import type { ExportedStep } from "../model/exporter.js";
import { genAiAttributes } from "./genai-attributes.js";

function step(llm: Partial<LlmCall>, extra: Partial<ExportedStep> = {}): ExportedStep {
  return {
    traceId: "t", spanId: "s", name: "x", kind: "llm", status: "ok", startTime: 1000, endTime: 2000, index: 0,
    llm: { provider: "openai", operation: "chat", serverAddress: "api.openai.com", serverPort: 443, params: {}, streamed: false, choices: [], ...llm },
    ...extra,
  };
}

const chat = step(
  {
    requestModel: "gpt-4o-mini", responseModel: "gpt-4o-mini-2024-07-18", messages: [{ role: "user", content: "Say a color" }],
    choices: [{ index: 0, text: "Teal", finishReason: "stop" }], usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 }, params: { temperature: 0.2 },
  },
  { inputText: '[{"role":"user","content":"Say a color"}]' },
);
const attributes = (s: ExportedStep, semconv: "current" | "legacy" | "both") => genAiAttributes(s, semconv);

const SHARED = {
  "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
  "server.address": "api.openai.com", "server.port": 443, "gen_ai.request.temperature": 0.2, "gen_ai.response.finish_reasons": ["stop"],
};
const CURRENT = {
  "gen_ai.provider.name": "openai", "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 1,
  "gen_ai.input.messages": '[{"role":"user","content":"Say a color"}]',
  "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"text","content":"Teal"}],"finish_reason":"stop"}]',
};
const LEGACY = {
  "gen_ai.system": "openai", "gen_ai.usage.prompt_tokens": 3, "gen_ai.usage.completion_tokens": 1, "llm.usage.total_tokens": 4,
  "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "Say a color",
  "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Teal", "gen_ai.completion.0.finish_reason": "stop",
};

describe("semconv", () => {
  it("current: the current names and the shared ones, no legacy name", () => {
    const result = attributes(chat, "current");
    expect(result).toMatchObject({ ...SHARED, ...CURRENT });
    for (const key of Object.keys(LEGACY)) expect(result).not.toHaveProperty([key]);
  });

  it("legacy: the legacy names and the shared ones, no current name", () => {
    const result = attributes(chat, "legacy");
    expect(result).toMatchObject({ ...SHARED, ...LEGACY });
    for (const key of Object.keys(CURRENT)) expect(result).not.toHaveProperty([key]);
  });

  it("both: all of them", () => {
    expect(attributes(chat, "both")).toMatchObject({ ...SHARED, ...CURRENT, ...LEGACY });
  });
});

describe("operations", () => {
  it("embeddings: inputs, dimension and encoding; no content at all", () => {
    const result = attributes(step({ operation: "embeddings", requestModel: "text-embedding-3-small", params: { encoding_format: "base64" }, embeddings: { inputs: 2, dimension: 1536 }, usage: { inputTokens: 5, totalTokens: 5 } }), "both");
    expect(result).toMatchObject({
      "gen_ai.operation.name": "embeddings", "gen_ai.embeddings.dimension.count": 1536, "gen_ai.request.encoding_formats": ["base64"],
      "edge_tracer.embeddings.inputs": 2, "gen_ai.usage.input_tokens": 5,
    });
    expect(Object.keys(result).filter((key) => /messages|prompt\.|completion\./.test(key))).toEqual([]);
  });

  it("text completion: the prompt as the user's message, FIM's suffix beside it", () => {
    const fim = step({ provider: "mistral", operation: "text_completion", serverAddress: "api.mistral.ai", prompt: "def f(", suffix: "return x", choices: [{ index: 0, text: "x):" }] });
    expect(attributes(fim, "both")).toMatchObject({
      "gen_ai.provider.name": "mistral_ai", "gen_ai.system": "mistral_ai", "gen_ai.operation.name": "text_completion",
      "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "def f(", "edge_tracer.fim.suffix": "return x",
      "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"def f("}]}]', "gen_ai.completion.0.content": "x):",
    });
  });

  it("generic: method, path and status, and nothing about a model call", () => {
    const result = attributes(step({ operation: "generic", method: "GET", path: "/v1/models", httpStatus: 200 }), "both");
    expect(result).toEqual({
      "gen_ai.operation.name": "generic", "gen_ai.provider.name": "openai", "gen_ai.system": "openai", "server.address": "api.openai.com", "server.port": 443,
      "http.request.method": "GET", "url.path": "/v1/models", "http.response.status_code": 200,
    });
  });

  it("names Azure OpenAI as its own provider in the current names, records an agent id and the provider's error code", () => {
    const azure = step({ serverAddress: "contoso.openai.azure.com", requestModel: "prod-4o", httpStatus: 429, errorCode: "rate_limit_exceeded" }, { status: "error", error: { type: "requests", message: "slow down" } });
    expect(attributes(azure, "both")).toMatchObject({ "gen_ai.provider.name": "azure.ai.openai", "gen_ai.system": "openai", "error.type": "rate_limit_exceeded" });
    expect(attributes(step({ provider: "mistral", serverAddress: "api.mistral.ai", agentId: "ag_1" }), "current")["gen_ai.agent.id"]).toBe("ag_1");
  });

  it("streams: time to first chunk, last token and chunk count; a refusal among the output parts", () => {
    const streamed = step({ streamed: true, chunks: 12, lastTokenTime: 1900, choices: [{ index: 0, text: "", refusal: "No." }] }, { firstTokenTime: 1250 });
    expect(attributes(streamed, "both")).toMatchObject({
      "gen_ai.request.stream": true, "gen_ai.response.time_to_first_chunk": 0.25, "edge_tracer.stream.last_token_at": 0.9, "edge_tracer.stream.chunks": 12,
      "gen_ai.completion.0.refusal": "No.", "gen_ai.output.messages": '[{"role":"assistant","parts":[{"type":"refusal","content":"No."}]}]',
    });
  });
});
