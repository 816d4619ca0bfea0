// The traced fetch: what the caller sees is exactly what it would see without us, and what the step records.
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { sse } from "../../test/support/upstream.js";
import { createTracer } from "../index.js";

const OPENAI = "https://api.openai.com/v1/chat/completions";
const MISTRAL = "https://api.mistral.ai/v1/chat/completions";
const SECRET = "sk-SECRET-never-exported";

afterEach(() => vi.restoreAllMocks());

/** Replaces the global fetch with `respond`, recording the arguments it got. */
function upstream(respond: (input: RequestInfo | URL, init?: RequestInit) => Response | Promise<Response>) {
  const calls: [RequestInfo | URL, RequestInit | undefined][] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    calls.push([input, init]);
    return respond(input, init);
  });
  return calls;
}

function traced() {
  const memory = memoryExporter();
  const invocation = createTracer({ exporters: [memory] }).startInvocation();
  const steps = async () => {
    await invocation.flush();
    // Nothing recorded, nothing exported: no batch at all.
    const batch = memory.batches[0] ?? { looseSteps: [], logs: [] };
    return { steps: [...batch.looseSteps, ...batch.logs.flatMap((log) => log.steps)], exported: JSON.stringify(batch) };
  };
  return { invocation, steps };
}

const chatInit = (body: object): RequestInit => ({
  method: "POST",
  headers: { authorization: `Bearer ${SECRET}`, "api-key": SECRET, "content-type": "application/json" },
  body: JSON.stringify(body),
});

const completion = {
  id: "chatcmpl-1",
  model: "gpt-4o-mini-2024-07-18",
  system_fingerprint: "fp_1",
  choices: [{ index: 0, message: { role: "assistant", content: "Teal" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};


const chunk = (delta: object, extra: object = {}) => `data: ${JSON.stringify({ id: "c1", model: "gpt-4o-mini", choices: [{ index: 0, delta }], ...extra })}\n\n`;

describe("passing through", () => {
  it("leaves requests to other hosts untouched and unrecorded: same arguments, same Response", async () => {
    const reply = new Response("hello");
    const calls = upstream(() => reply);
    const { invocation, steps } = traced();
    const init = { method: "POST", body: "x" };
    expect(await invocation.fetch("https://example.com/api", init)).toBe(reply);
    expect(await invocation.fetch("https://api.openai.com.evil.example/v1/chat/completions", chatInit({ model: "m", messages: [] }))).toBe(reply);
    expect(calls[0]).toEqual(["https://example.com/api", init]);
    expect((await steps()).steps).toEqual([]);
  });

  it("records any other call to a provider as a generic step, without reading its body, and returns its Response", async () => {
    const reply = Response.json({ data: [] });
    upstream(() => reply);
    const { invocation, steps } = traced();
    expect(await invocation.fetch(OPENAI.replace("chat/completions", "models"))).toBe(reply);
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ name: "GET /v1/models", status: "ok" });
    expect(step!.llm).toEqual({
      provider: "openai", operation: "generic", method: "GET", path: "/v1/models", serverAddress: "api.openai.com", serverPort: 443,
      params: {}, streamed: false, choices: [], httpStatus: 200,
    });
    expect(reply.bodyUsed).toBe(false);
  });
});

describe("non-streamed chat completions", () => {
  it("returns the upstream Response itself and records the call, never the auth headers", async () => {
    const reply = Response.json(completion);
    const calls = upstream(() => reply);
    const { invocation, steps } = traced();
    const init = chatInit({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say a color" }], temperature: 0.2, max_tokens: 5 });
    const response = await invocation.fetch(OPENAI, init);
    expect(response).toBe(reply);
    expect(calls[0]![1]).toBe(init);
    expect(await response.json()).toEqual(completion);
    const { steps: [step], exported } = await steps();
    expect(step).toMatchObject({ name: "chat gpt-4o-mini", status: "ok", outputText: "Teal" });
    expect(step!.llm).toMatchObject({
      provider: "openai", requestModel: "gpt-4o-mini", responseModel: "gpt-4o-mini-2024-07-18", responseId: "chatcmpl-1",
      systemFingerprint: "fp_1", httpStatus: 200, streamed: false, params: { temperature: 0.2, max_tokens: 5 },
      usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 }, choices: [{ index: 0, text: "Teal", finishReason: "stop" }],
    });
    expect(exported).not.toContain(SECRET);
  });

  it("reads a Request's body from a copy (the Mistral SDK's call shape) and sends the original", async () => {
    let sentBody = "";
    const calls = upstream(async (input) => ((sentBody = await (input as Request).text()), Response.json({ ...completion, model: "mistral-small-latest" })));
    const { invocation, steps } = traced();
    const body = JSON.stringify({ model: "mistral-small-latest", messages: [{ role: "user", content: "Say an animal" }] });
    const request = new Request(MISTRAL, { method: "POST", headers: { authorization: `Bearer ${SECRET}` }, body });
    await invocation.fetch(request);
    expect(calls[0]![0]).toBe(request);
    expect(sentBody).toBe(body);
    const { steps: [step], exported } = await steps();
    expect(step!.llm).toMatchObject({ provider: "mistral", requestModel: "mistral-small-latest", messages: [{ role: "user", content: "Say an animal" }] });
    expect(exported).not.toContain(SECRET);
  });

  it("records reassembled tool calls and several choices", async () => {
    upstream(() => Response.json({
      choices: [
        { index: 0, message: { content: null, tool_calls: [{ id: "call_1", function: { name: "weather", arguments: '{"city":"Paris"}' } }] }, finish_reason: "tool_calls" },
        { index: 1, message: { content: "second" }, finish_reason: "stop" },
      ],
    }));
    const { invocation, steps } = traced();
    await invocation.fetch(OPENAI, chatInit({ model: "m", n: 2, messages: [], tools: [{ type: "function", function: { name: "weather" } }] }));
    const { steps: [step] } = await steps();
    expect(step!.llm!.params).toMatchObject({ n: 2, tools: ["weather"] });
    expect(step!.llm!.choices).toEqual([
      { index: 0, text: "", finishReason: "tool_calls", toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Paris"}' }] },
      { index: 1, text: "second", finishReason: "stop" },
    ]);
    expect(step!.outputText).toBe('weather({"city":"Paris"})');
  });
});

describe("streamed chat completions", () => {
  const pieces = [
    chunk({ role: "assistant", content: "" }),
    chunk({ content: "Hé" }).slice(0, 30),
    chunk({ content: "Hé" }).slice(30),
    chunk({ content: " 🦦" }),
    chunk({}, { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }),
    `data: ${JSON.stringify({ id: "c1", choices: [], usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } })}\n\n`,
    "data: [DONE]\n\n",
  ];
  const expected = new TextEncoder().encode(pieces.join(""));
  // Split inside the emoji's four bytes as well.
  const bytes = [expected.subarray(0, 7), expected.subarray(7, expected.indexOf(0xf0) + 2), expected.subarray(expected.indexOf(0xf0) + 2)];

  it("hands the caller the upstream bytes exactly, and records content, usage and first-token time", async () => {
    upstream(() => sse(bytes));
    const { invocation, steps } = traced();
    const response = await invocation.fetch(OPENAI, chatInit({ model: "gpt-4o-mini", stream: true, messages: [] }));
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(expected);
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "ok", outputText: "Hé 🦦" });
    expect(step!.llm).toMatchObject({ streamed: true, chunks: 5, usage: { inputTokens: 4, outputTokens: 2 }, choices: [{ text: "Hé 🦦", finishReason: "stop" }] });
    expect(step!.firstTokenTime).toBeGreaterThanOrEqual(step!.startTime);
    expect(step!.endTime).toBeGreaterThanOrEqual(step!.firstTokenTime!);
  });

  it("reassembles streamed tool calls by index", async () => {
    upstream(() => sse([
      chunk({ tool_calls: [{ index: 0, id: "call_1", function: { name: "weather", arguments: "" } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] }),
      "data: [DONE]\n\n",
    ]));
    const { invocation, steps } = traced();
    await (await invocation.fetch(OPENAI, chatInit({ model: "m", stream: true, messages: [] }))).text();
    const { steps: [step] } = await steps();
    expect(step!.llm!.choices[0]!.toolCalls).toEqual([{ id: "call_1", name: "weather", arguments: '{"city":"Paris"}' }]);
  });

  it("marks the step cancelled, keeping what arrived, when the caller cancels", async () => {
    upstream(() => sse([chunk({ content: "partial" }), chunk({ content: " never read" })]));
    const { invocation, steps } = traced();
    const reader = (await invocation.fetch(OPENAI, chatInit({ model: "m", stream: true, messages: [] }))).body!.getReader();
    await reader.read();
    await reader.cancel("client went away");
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "cancelled", outputText: "partial" });
  });

  it("passes an upstream stream error to the caller unchanged and ends the step in error", async () => {
    const reset = new TypeError("connection reset");
    upstream(() => sse([chunk({ content: "half" })], reset));
    const { invocation, steps } = traced();
    const response = await invocation.fetch(OPENAI, chatInit({ model: "m", stream: true, messages: [] }));
    await expect(response.text()).rejects.toBe(reset);
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "error", outputText: "half", error: { type: "TypeError", message: "connection reset" } });
  });

  it("notes events that are not JSON, and still records the rest", async () => {
    upstream(() => sse([": keep-alive\n\n", "data: {not json\n\n", chunk({ content: "ok" }), "data: [DONE]\n\n"]));
    const { invocation, steps } = traced();
    await (await invocation.fetch(OPENAI, chatInit({ model: "m", stream: true, messages: [] }))).text();
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "ok", outputText: "ok" });
    expect(step!.llm!.parseProblem).toContain("not JSON: {not json");
  });
});

describe("errors", () => {
  it("records a provider's HTTP error and returns its Response as is", async () => {
    const reply = Response.json({ error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }, { status: 429 });
    upstream(() => reply);
    const { invocation, steps } = traced();
    expect(await invocation.fetch(OPENAI, chatInit({ model: "m", messages: [] }))).toBe(reply);
    expect(await reply.json()).toMatchObject({ error: { code: "rate_limit_exceeded" } });
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "error", error: { type: "requests", message: "Rate limit reached" } });
    expect(step!.llm!.httpStatus).toBe(429);
  });

  it("records a gateway's HTML error page as its text", async () => {
    upstream(() => new Response("<html><body>502 Bad Gateway</body></html>", { status: 502, headers: { "content-type": "text/html" } }));
    const { invocation, steps } = traced();
    await invocation.fetch(OPENAI, chatInit({ model: "m", messages: [] }));
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "error", error: { type: "non_json_body", message: "502 Bad Gateway" } });
  });

  it("rethrows a network error unchanged and ends the step in error", async () => {
    const down = new TypeError("fetch failed");
    vi.spyOn(globalThis, "fetch").mockRejectedValue(down);
    const { invocation, steps } = traced();
    await expect(invocation.fetch(OPENAI, chatInit({ model: "m", messages: [] }))).rejects.toBe(down);
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "error", error: { type: "TypeError", message: "fetch failed" } });
  });

  it("rethrows an abort and marks the step cancelled", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation((_input, init) => Promise.reject(init?.signal?.reason));
    const { invocation, steps } = traced();
    const controller = new AbortController();
    controller.abort();
    await expect(invocation.fetch(OPENAI, { ...chatInit({ model: "m", messages: [] }), signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
    const { steps: [step] } = await steps();
    expect(step!.status).toBe("cancelled");
  });

  it("notes a response body that is not JSON without disturbing the caller", async () => {
    upstream(() => new Response("plain text", { status: 200 }));
    const { invocation, steps } = traced();
    expect(await (await invocation.fetch(OPENAI, chatInit({ model: "m", messages: [] }))).text()).toBe("plain text");
    const { steps: [step] } = await steps();
    expect(step!.llm!.parseProblem).toBe("the response is not JSON: plain text");
  });
});
