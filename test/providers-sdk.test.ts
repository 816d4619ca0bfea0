// The official SDKs in workerd, through the traced fetch, against the loopback mock: each call shape gives the
// expected step, and the SDK gets exactly what the mock sent. One Miniflare for the whole file; the Worker calls
// the real host names and Miniflare's outboundService answers them from the mock.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Miniflare, Response as MiniflareResponse, type Request as MiniflareRequest } from "miniflare";
import { startMockLlm, type MockLlm } from "./mocks/mock-llm.mjs";
import { bundleWorker } from "./support/workerd.js";
import type { ProvidersReply } from "./workers/providers-sdk.js";
import type { ExportedStep } from "../src/index.js";

const STORY = "Once upon a time, a teal otter floated on a quiet river, holding hands with a friend so neither would drift away. The end.";

let llm: MockLlm;
let mf: Miniflare;

beforeAll(async () => {
  llm = await startMockLlm();
  // Real hosts → the mock: OpenAI and Azure paths are served as they are, Mistral's under /mistral.
  const upstream = (url: URL) => {
    if (url.hostname === "api.mistral.ai") return `${llm.url}/mistral${url.pathname}${url.search}`;
    return `${llm.url}${url.pathname}${url.search}`;
  };
  mf = new Miniflare({
    modules: [{ type: "ESModule", path: "worker.js", contents: await bundleWorker("test/workers/providers-sdk.ts") }],
    compatibilityDate: "2026-05-01",
    bindings: { MOCK_LLM_URL: llm.url },
    // Only the built-in and gateway hosts come here; the loopback mock is reached directly.
    outboundService: async (request: MiniflareRequest) => {
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      const response = await fetch(upstream(new URL(request.url)), { method: request.method, headers: request.headers as unknown as HeadersInit, body });
      return new MiniflareResponse(response.body as never, { status: response.status, headers: response.headers as never });
    },
  });
  await mf.ready;
});
afterAll(async () => {
  await mf?.dispose();
  await llm?.close();
});

async function run(name: string, query = ""): Promise<ProvidersReply> {
  const response = await mf.dispatchFetch(`http://providers.test/?case=${name}${query}`);
  expect(response.status).toBe(200);
  const reply = (await response.json()) as ProvidersReply;
  expect(JSON.stringify(reply.steps)).not.toMatch(/SECRET/);
  return reply;
}

const only = (reply: ProvidersReply): ExportedStep => {
  expect(reply.steps).toHaveLength(1);
  return reply.steps[0]!;
};

describe("openai SDK", () => {
  it("chat create with tools: the tool call, finish reason, usage and fingerprint", async () => {
    const reply = await run("openai-chat-tools");
    expect(reply.output).toEqual([{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }]);
    const step = only(reply);
    expect(step).toMatchObject({ name: "chat gpt-4o-mini", status: "ok", outputText: 'get_weather({"city":"Paris"})' });
    expect(step.llm).toMatchObject({
      provider: "openai", operation: "chat", path: "/v1/chat/completions", serverAddress: "api.openai.com", httpStatus: 200,
      requestModel: "gpt-4o-mini", responseModel: "gpt-4o-mini-2024-07-18", systemFingerprint: "fp_mock", streamed: false,
      params: { tools: ["get_weather"] }, usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 },
      choices: [{ index: 0, text: "", finishReason: "tool_calls", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] }],
    });
  });

  it("chat stream with tools, and the stream helper: tool calls reassembled, usage from the final chunk, token times", async () => {
    const reply = await run("openai-chat-stream-tools");
    expect(reply.output).toEqual({ args: '{"city":"Paris"}', helper: "Teal" });
    expect(reply.steps).toHaveLength(2);
    const [tools, helper] = reply.steps as [ExportedStep, ExportedStep];
    expect(tools.llm).toMatchObject({
      streamed: true, chunks: 7, usage: { inputTokens: 3, outputTokens: 1 },
      choices: [{ finishReason: "tool_calls", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] }],
    });
    expect(tools.firstTokenTime).toBeGreaterThanOrEqual(tools.startTime);
    expect(tools.llm!.lastTokenTime).toBeGreaterThanOrEqual(tools.firstTokenTime!);
    expect(helper).toMatchObject({ status: "ok", outputText: "Teal" });
    expect(helper.llm).toMatchObject({ streamed: true, choices: [{ text: "Teal", finishReason: "stop" }] });
  });

  it("injectStreamUsage: asks for usage, records it, and the SDK still reads the stream", async () => {
    const plain = await run("openai-chat-stream-inject");
    expect(plain.output).toEqual({ text: STORY });
    expect(llm.requests.at(-1)!.body.stream_options).toBeUndefined();
    expect(only(plain).llm!.usage).toBeUndefined();

    const injected = await run("openai-chat-stream-inject", "&inject");
    expect(llm.requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
    expect(injected.output).toEqual({ text: STORY, usage: { prompt_tokens: 4, completion_tokens: 24, total_tokens: 28 } });
    expect(only(injected).llm!.usage).toEqual({ inputTokens: 4, outputTokens: 24, totalTokens: 28 });
  });

  it("an abort during a stream: the SDK ends its loop as it does untraced, the step is cancelled and keeps what arrived", async () => {
    const reply = await run("openai-chat-abort");
    // The openai SDK's stream iterator returns quietly when its own controller aborts.
    expect(reply.output).not.toHaveProperty("error");
    const text = (reply.output as { text: string }).text;
    const step = only(reply);
    expect(step.status).toBe("cancelled");
    expect(step.outputText!.startsWith(text)).toBe(true);
    expect(step.outputText!.length).toBeLessThan(STORY.length);
  });

  it("responses create: instructions and input as messages, output text, usage", async () => {
    const reply = await run("openai-responses");
    expect(reply.output).toBe("Teal");
    const step = only(reply);
    expect(step).toMatchObject({ name: "chat gpt-4o-mini", status: "ok", outputText: "Teal" });
    expect(step.llm).toMatchObject({
      operation: "chat", path: "/v1/responses", requestModel: "gpt-4o-mini", responseModel: "gpt-4o-mini-2024-07-18",
      responseId: "resp_mock" + step.llm!.responseId!.slice(9), messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say a color" }],
      usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 }, choices: [{ text: "Teal", finishReason: "stop" }],
    });
  });

  it("responses stream: text from output_text deltas, usage from response.completed", async () => {
    const reply = await run("openai-responses-stream");
    expect(reply.output).toEqual({ text: STORY, final: STORY });
    const step = only(reply);
    expect(step).toMatchObject({ status: "ok", outputText: STORY });
    expect(step.llm).toMatchObject({ streamed: true, usage: { inputTokens: 4, outputTokens: 24, totalTokens: 28 }, choices: [{ finishReason: "stop" }] });
    expect(step.llm!.chunks).toBe(STORY.split(" ").length + 8);
    expect(step.firstTokenTime).toBeDefined();
  });

  it("responses stream with a function call: arguments from their deltas", async () => {
    const reply = await run("openai-responses-stream-tools");
    expect(reply.output).toBe('{"city":"Paris"}');
    expect(only(reply).llm).toMatchObject({
      params: { tools: ["get_weather"] },
      choices: [{ text: "", finishReason: "tool_calls", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] }],
    });
  });

  it("embeddings (base64, the SDK's default): inputs and dimension, never the vectors", async () => {
    const reply = await run("openai-embeddings");
    expect(reply.output).toEqual([8, 8]);
    expect(llm.requests.at(-1)!.body.encoding_format).toBe("base64");
    const step = only(reply);
    expect(step).toMatchObject({ name: "embeddings text-embedding-3-small", status: "ok" });
    expect(step.llm).toMatchObject({ operation: "embeddings", embeddings: { inputs: 2, dimension: 8 }, usage: { inputTokens: 3, totalTokens: 3 }, params: { encoding_format: "base64" } });
    expect(step.outputText).toBeUndefined();
    expect(JSON.stringify(step)).not.toMatch(/"embedding"/);
  });

  it("legacy completions: text_completion with the prompt", async () => {
    const reply = await run("openai-completions");
    expect(reply.output).toBe("Teal");
    expect(only(reply)).toMatchObject({ name: "text_completion gpt-3.5-turbo-instruct", outputText: "Teal" });
    expect(only(reply).llm).toMatchObject({ operation: "text_completion", prompt: "Say a color", params: { max_tokens: 5 }, choices: [{ text: "Teal", finishReason: "stop" }] });
  });

  it("any other call to the provider: a generic step with method, path and status", async () => {
    const reply = await run("openai-models");
    expect(reply.output).toEqual(["gpt-4o-mini", "gpt-4.1"]);
    expect(only(reply)).toMatchObject({ name: "GET /v1/models", status: "ok", llm: { operation: "generic", method: "GET", path: "/v1/models", httpStatus: 200 } });
  });
});

describe("Azure OpenAI (AzureOpenAI client)", () => {
  it("chat and stream: the deployment is the request model, the response names the model", async () => {
    const reply = await run("azure-chat");
    expect(reply.output).toEqual(["Teal", "Otter"]);
    expect(reply.steps).toHaveLength(2);
    for (const step of reply.steps) {
      expect(step.name).toBe("chat prod-4o-mini");
      expect(step.llm).toMatchObject({ provider: "openai", serverAddress: "contoso.openai.azure.com", path: "/openai/deployments/prod-4o-mini/chat/completions", requestModel: "prod-4o-mini", responseModel: "gpt-4o-mini-2024-07-18" });
    }
    expect(reply.steps[1]!.llm).toMatchObject({ streamed: true, choices: [{ text: "Otter", finishReason: "stop" }] });
  });

  it("embeddings on a deployment", async () => {
    const reply = await run("azure-embeddings");
    expect(reply.output).toBe(8);
    expect(only(reply).llm).toMatchObject({ operation: "embeddings", requestModel: "prod-4o-mini", embeddings: { inputs: 1, dimension: 8 } });
  });
});

describe("Mistral SDK", () => {
  it("chat complete", async () => {
    const reply = await run("mistral-chat");
    expect(reply.output).toBe("Otter");
    expect(only(reply)).toMatchObject({ name: "chat mistral-small-latest", outputText: "Otter" });
    expect(only(reply).llm).toMatchObject({ provider: "mistral", serverAddress: "api.mistral.ai", params: { temperature: 0.3 }, usage: { inputTokens: 3, outputTokens: 1 } });
  });

  it("chat stream with tools: tool call reassembled, usage from the last chunk, [DONE] then the SDK's cancel is a normal end", async () => {
    const reply = await run("mistral-chat-stream-tools");
    expect(reply.output).toBe('{"city":"Paris"}');
    const step = only(reply);
    expect(step.status).toBe("ok");
    expect(step.llm).toMatchObject({ streamed: true, usage: { inputTokens: 3, outputTokens: 1 }, choices: [{ finishReason: "tool_calls", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] }] });
  });

  it("FIM complete and stream: text_completion with prompt and suffix", async () => {
    const reply = await run("mistral-fim");
    expect(reply.output).toEqual(["\n    return a + b\n", "\n    return a + b\n"]);
    expect(reply.steps).toHaveLength(2);
    const [complete, stream] = reply.steps as [ExportedStep, ExportedStep];
    expect(complete).toMatchObject({ name: "text_completion codestral-latest", outputText: "\n    return a + b\n" });
    expect(complete.llm).toMatchObject({ operation: "text_completion", path: "/v1/fim/completions", prompt: "def add(a, b):", suffix: "\nprint(add(1, 2))" });
    expect(stream.llm).toMatchObject({ streamed: true, usage: { outputTokens: 4 }, choices: [{ text: "\n    return a + b\n", finishReason: "stop" }] });
  });

  it("embeddings (float vectors)", async () => {
    const reply = await run("mistral-embeddings");
    expect(reply.output).toEqual([8, 8, 8]);
    expect(only(reply).llm).toMatchObject({ provider: "mistral", operation: "embeddings", embeddings: { inputs: 3, dimension: 8 }, usage: { inputTokens: 3 } });
  });

  it("agents complete and stream: chat, with the agent id", async () => {
    const reply = await run("mistral-agents");
    expect(reply.output).toEqual(["Otter", "Teal"]);
    expect(reply.steps).toHaveLength(2);
    for (const step of reply.steps) {
      expect(step.llm).toMatchObject({ operation: "chat", path: "/v1/agents/completions", agentId: "ag_0123456789", responseModel: "mistral-medium-latest" });
      expect(step.llm!.requestModel).toBeUndefined();
    }
    expect(reply.steps[1]).toMatchObject({ status: "ok", outputText: "Teal", llm: { streamed: true } });
  });
});

describe("Vercel AI SDK through a declared gateway", () => {
  it("generateText on the Responses API and on chat completions (with a tool)", async () => {
    const reply = await run("ai-sdk-generate");
    expect(reply.output).toEqual(["Teal", [{ city: "Paris" }]]);
    expect(reply.steps.map((step) => [step.name, step.llm!.path, step.outputText])).toEqual([
      ["chat gpt-4o-mini", "/v1/responses", "Teal"],
      ["chat gpt-4o-mini", "/v1/chat/completions", 'get_weather({"city":"Paris"})'],
    ]);
    expect(reply.steps[0]!.llm).toMatchObject({ serverAddress: "gateway.example", provider: "openai", usage: { inputTokens: 3, outputTokens: 1 } });
  });

  it("streamText on both endpoints", async () => {
    const reply = await run("ai-sdk-stream");
    expect(reply.output).toEqual([STORY, "Otter"]);
    expect(reply.steps.map((step) => [step.llm!.path, step.llm!.streamed, step.status, step.outputText])).toEqual([
      ["/v1/responses", true, "ok", STORY],
      ["/v1/chat/completions", true, "ok", "Otter"],
    ]);
    // The AI SDK asks chat streams for usage itself.
    expect(reply.steps[1]!.llm!.usage).toEqual({ inputTokens: 3, outputTokens: 1, totalTokens: 4 });
  });
});

describe("hosts", () => {
  it("an OpenAI-shaped call to a host neither built in nor declared is passed through, not recorded", async () => {
    const reply = await run("undeclared-host");
    expect(reply.output).toBe("Teal");
    expect(reply.steps).toEqual([]);
  });
});

describe("faults through the openai SDK: the SDK sees what it would see without us", () => {
  it("a gateway's HTML 502: the SDK's APIError, the step keeps status and page", async () => {
    const reply = await run("fault", "&fault=html");
    expect(reply.output).toMatchObject({ status: 502, message: expect.stringContaining("502 Bad Gateway") });
    const step = only(reply);
    expect(step).toMatchObject({ status: "error", error: { type: "non_json_body" } });
    expect(step.error!.message).toBe("502 Bad Gateway");
    expect(step.llm!.httpStatus).toBe(502);
  });

  it("a 200 whose JSON is cut: the SDK's parse error, the step notes the parse problem", async () => {
    const reply = await run("fault", "&fault=bad-json");
    expect(reply.output).toMatchObject({ error: "SyntaxError" });
    expect(only(reply).llm!.parseProblem).toBe('the response is not JSON: {"id": "chatcmpl-broken", "choices": [');
  });

  it("a connection dropped mid-stream: workerd ends the body quietly, so does the step, noting it may be cut", async () => {
    const reply = await run("fault", "&fault=cut");
    const text = (reply.output as { text: string }).text;
    expect(text.length).toBeGreaterThan(0);
    expect(STORY.startsWith(text) && text !== STORY).toBe(true);
    const step = only(reply);
    expect(step).toMatchObject({ status: "ok", outputText: text });
    expect(step.llm!.parseProblem).toMatch(/^the stream ended without its end marker/);
  });

  it("an error event inside the stream: the SDK throws it, the step records the provider's error", async () => {
    const reply = await run("fault", "&fault=error-event");
    expect(reply.output).toMatchObject({ error: "Error", message: "The server had an error while processing your request." });
    const step = only(reply);
    expect(step).toMatchObject({ status: "error", error: { type: "server_error", message: "The server had an error while processing your request." } });
    expect(step.llm!.errorCode).toBe("server_error");
  });
});
