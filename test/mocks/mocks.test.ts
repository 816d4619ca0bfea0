// Tests for the test mocks themselves: the real SDKs talk to mock-llm, and mock-phospho is strict.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import OpenAI from "openai";
import { Mistral } from "@mistralai/mistralai";
import { startMockLlm, type MockLlm } from "./mock-llm.mjs";
import { startMockPhospho, type MockPhospho } from "./mock-phospho.mjs";
import { loadOtlpRoot, decodeOtlpTraces, EXPORT_TRACE_SERVICE_REQUEST } from "./otlp-schema.mjs";

describe("mock-llm", () => {
  let llm: MockLlm;
  beforeAll(async () => {
    llm = await startMockLlm();
  });
  afterAll(() => llm.close());

  const openai = () => new OpenAI({ apiKey: "sk-test", baseURL: llm.url + "/openai/v1", maxRetries: 0 });
  const mistral = () =>
    new Mistral({ apiKey: "m-test", serverURL: llm.url + "/mistral", retryConfig: { strategy: "none" } });

  it("answers an OpenAI chat completion", async () => {
    const res = await openai().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say a color" }],
    });
    expect(res.choices[0]?.message.content).toBe("Teal");
    expect(res.model).toBe("gpt-4o-mini-2024-07-18");
    expect(res.usage).toEqual({ prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
    const req = llm.requests.at(-1)!;
    expect(req.dialect).toBe("openai");
    expect(req.path).toBe("/openai/v1/chat/completions");
    expect(req.headers.authorization).toBe("Bearer sk-test");
    expect(req.body.messages[0].content).toBe("Say a color");
  });

  it("streams an OpenAI chat completion with usage", async () => {
    const stream = await openai().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Say a color" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Teal");
    expect(finish).toBe("stop");
    expect(usage?.total_tokens).toBe(4);
  });

  it("streams an echo word by word and returns tool calls", async () => {
    const stream = await openai().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: [{ type: "text", text: "hello there world" }] }],
      stream: true,
    });
    const pieces: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
    expect(pieces).toEqual(["Echo: ", "hello ", "there ", "world"]);

    const res = await openai().chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Weather?" }],
      tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
    });
    expect(res.choices[0]?.finish_reason).toBe("tool_calls");
    expect(res.choices[0]?.message.tool_calls).toEqual([
      { id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
    ]);
  });

  it("returns OpenAI embeddings (base64 default) and provider errors", async () => {
    const emb = await openai().embeddings.create({ model: "text-embedding-3-small", input: ["a b", "c"] });
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0]?.embedding).toHaveLength(8);
    const plain = await openai().embeddings.create({ model: "text-embedding-3-small", input: "a b", encoding_format: "float" });
    expect(plain.data[0]?.embedding).toEqual(emb.data[0]?.embedding);

    await expect(
      openai().chat.completions.create(
        { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
        { headers: { "x-mock-status": "503" } },
      ),
    ).rejects.toMatchObject({ status: 503 });
    const res = await fetch(llm.url + "/openai/v1/chat/completions", { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
  });

  it("answers a Mistral chat completion and stream", async () => {
    const messages = [{ role: "user" as const, content: "Say an animal" }];
    const res = await mistral().chat.complete({ model: "mistral-small-latest", messages });
    expect(res.choices[0]?.message?.content).toBe("Otter");
    expect(res.model).toBe("mistral-small-latest");
    expect(llm.requests.at(-1)!.path).toBe("/mistral/v1/chat/completions");

    const stream = await mistral().chat.stream({ model: "mistral-small-latest", messages });
    let text = "";
    let usageTokens = 0;
    for await (const event of stream) {
      const content = event.data.choices[0]?.delta.content;
      if (typeof content === "string") text += content;
      if (event.data.usage) usageTokens = event.data.usage.totalTokens ?? 0;
    }
    expect(text).toBe("Otter");
    expect(usageTokens).toBe(4);
  });

  it("honours x-mock-reply", async () => {
    const res = await openai().chat.completions.create(
      { model: "gpt-4o-mini", messages: [{ role: "user", content: "anything" }] },
      { headers: { "x-mock-reply": "Custom answer" } },
    );
    expect(res.choices[0]?.message.content).toBe("Custom answer");
  });
});

describe("mock-phospho", () => {
  const apiKey = "phospho-key";
  const projectId = "proj_123";
  let phospho: MockPhospho;
  beforeAll(async () => {
    phospho = await startMockPhospho({ apiKey, projectId });
  });
  afterAll(() => phospho.close());

  const postLogs = (events: unknown[], key = apiKey) =>
    fetch(`${phospho.url}/v2/log/${projectId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ batched_log_events: events }),
    });

  it("accepts a valid batch and rejects bad events per event", async () => {
    const now = Math.floor(Date.now() / 1000);
    const res = await postLogs([
      { input: "hi", output: "hello", task_id: "t1", session_id: null, client_created_at: now, metadata: { a: 1 } },
      { input: "hi", client_created_at: Date.now() },
      { input: 42 },
    ]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { logged_events: { error_in_log?: string }[] };
    expect(body.logged_events).toHaveLength(3);
    expect(body.logged_events[0]?.error_in_log).toBeUndefined();
    expect(body.logged_events[1]?.error_in_log).toMatch(/milliseconds/);
    expect(body.logged_events[2]?.error_in_log).toMatch(/input must be a string/);
    expect(phospho.logs).toHaveLength(1);
    expect(phospho.logs[0]?.["task_id"]).toBe("t1");
    expect(phospho.errors).toHaveLength(2);
    // phospho itself refuses such a batch whole: its first parse finds the number input.
    expect(phospho.takeServerModelProblems()).toEqual([expect.stringMatching(/\[v2\.422\] whole batch refused: body\.batched_log_events\.2\.input/)]);
  });

  it("rejects a wrong bearer token and malformed JSON", async () => {
    const errorsBefore = phospho.errors.length;
    const res = await postLogs([{ input: "x" }], "wrong");
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: "Invalid token" });
    const bad = await fetch(`${phospho.url}/v2/log/${projectId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(bad.status).toBe(422);
    expect(phospho.errors.length).toBe(errorsBefore + 2);
    expect(phospho.takeServerModelProblems()).toEqual([expect.stringMatching(/\[v2\.422\] whole batch refused: JSON decode error/)]);
  });

  it("decodes an OTLP protobuf export", async () => {
    const type = loadOtlpRoot().lookupType(EXPORT_TRACE_SERVICE_REQUEST);
    const traceId = "0af7651916cd43dd8448eb211c80319c";
    const message = type.fromObject({
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: "worker" } }] },
          scopeSpans: [
            {
              scope: { name: "edge-tracer", version: "0.1.0" },
              spans: [
                {
                  traceId: Buffer.from(traceId, "hex"),
                  spanId: Buffer.from("b7ad6b7169203331", "hex"),
                  name: "chat gpt-4o-mini",
                  kind: 3,
                  startTimeUnixNano: "1700000000000000000",
                  endTimeUnixNano: "1700000000250000000",
                  attributes: [
                    { key: "gen_ai.system", value: { stringValue: "openai" } },
                    { key: "gen_ai.usage.input_tokens", value: { intValue: 42 } },
                    { key: "gen_ai.request.temperature", value: { doubleValue: 0.7 } },
                  ],
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    });
    const bytes = type.encode(message).finish();
    const res = await fetch(`${phospho.url}/v3/otl/${projectId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/x-protobuf" },
      body: new Uint8Array(bytes),
    });
    expect(res.status).toBe(200);
    const span = await phospho.waitFor((s) => s.spans.find((x) => x.traceId === traceId));
    expect(span).toMatchObject({
      spanId: "b7ad6b7169203331",
      parentSpanId: "",
      name: "chat gpt-4o-mini",
      kind: 3,
      startTimeUnixNano: "1700000000000000000",
      endTimeUnixNano: "1700000000250000000",
      attributes: { "gen_ai.system": "openai", "gen_ai.usage.input_tokens": 42, "gen_ai.request.temperature": 0.7 },
      status: { code: 1, message: "" },
      resource: { "service.name": "worker" },
    });
    expect(decodeOtlpTraces(bytes)).toEqual([span]);

    const wrongType = await fetch(`${phospho.url}/v3/otl/${projectId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: "{}",
    });
    expect(wrongType.status).toBe(415);
    // The model sees both as phospho would: a span with no task, and a body that is no protobuf.
    expect(phospho.takeServerModelProblems()).toEqual([
      expect.stringMatching(/\[v3\.no-task\] span "chat gpt-4o-mini" is stored but has no phospho\.task_id/),
      expect.stringMatching(/\[v3\.500\] body refused/),
    ]);
  });

  it("waitFor rejects with counts on timeout", async () => {
    await expect(phospho.waitFor(() => false, 60)).rejects.toThrow(/timed out after 60 ms: \d+ logs, \d+ spans/);
  });
});
