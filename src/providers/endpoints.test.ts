// Each endpoint family through the traced fetch: what its step records, streamed and not.
import { afterEach, describe, expect, it, vi } from "vitest";
import { event, jsonInit, sse, traced, upstream } from "../../test/support/upstream.js";
import { consoleExporter, createTracer } from "../index.js";

afterEach(() => vi.restoreAllMocks());

/** Sends `body` to `url` through a fresh invocation answered by `reply`, reads the reply, returns the one step. */
async function stepOf(url: string, body: object, reply: () => Response) {
  upstream(reply);
  const { invocation, steps } = traced();
  await (await invocation.fetch(url, jsonInit(body))).arrayBuffer();
  const { steps: all, exported } = await steps();
  expect(all).toHaveLength(1);
  return { step: all[0]!, exported };
}

const OPENAI = "https://api.openai.com/v1";
const MISTRAL = "https://api.mistral.ai/v1";
const chunk = (choices: object[], extra: object = {}) => event({ id: "c1", model: "gpt-4o-mini-2024-07-18", choices, ...extra });

describe("chat completions", () => {
  it("records each choice of n > 1 separately, streamed", async () => {
    const { step } = await stepOf(`${OPENAI}/chat/completions`, { model: "gpt-4o-mini", n: 2, stream: true, messages: [] }, () => sse([
      chunk([{ index: 0, delta: { content: "Te" } }, { index: 1, delta: { content: "Ot" } }]),
      chunk([{ index: 1, delta: { content: "ter" }, finish_reason: "stop" }]),
      chunk([{ index: 0, delta: { content: "al" }, finish_reason: "length" }]),
      "data: [DONE]\n\n",
    ]));
    expect(step.llm!.choices).toEqual([{ index: 0, text: "Teal", finishReason: "length" }, { index: 1, text: "Otter", finishReason: "stop" }]);
    expect(step.outputText).toBe("Teal");
  });

  it("reassembles parallel tool calls streamed interleaved, by index", async () => {
    const call = (index: number, fields: object) => ({ index, ...fields });
    const { step } = await stepOf(`${OPENAI}/chat/completions`, { model: "m", stream: true, messages: [], parallel_tool_calls: true }, () => sse([
      chunk([{ index: 0, delta: { tool_calls: [call(0, { id: "call_a", type: "function", function: { name: "weather", arguments: "" } })] } }]),
      chunk([{ index: 0, delta: { tool_calls: [call(1, { id: "call_b", type: "function", function: { name: "time", arguments: '{"tz":' } })] } }]),
      chunk([{ index: 0, delta: { tool_calls: [call(0, { function: { arguments: '{"city":"Paris"}' } })] } }]),
      chunk([{ index: 0, delta: { tool_calls: [call(1, { function: { arguments: '"CET"}' } })] }, finish_reason: "tool_calls" }]),
      "data: [DONE]\n\n",
    ]));
    expect(step.llm!.params.parallel_tool_calls).toBe(true);
    expect(step.llm!.choices[0]).toEqual({
      index: 0, text: "", finishReason: "tool_calls",
      toolCalls: [{ id: "call_a", name: "weather", arguments: '{"city":"Paris"}' }, { id: "call_b", name: "time", arguments: '{"tz":"CET"}' }],
    });
  });

  it("records a refusal, streamed or not, and the structured-output format", async () => {
    const body = { model: "gpt-4o", messages: [], response_format: { type: "json_schema", json_schema: { name: "color", schema: {} } } };
    const plain = await stepOf(`${OPENAI}/chat/completions`, body, () => Response.json({
      choices: [{ index: 0, message: { role: "assistant", content: null, refusal: "I can't help with that." }, finish_reason: "stop" }],
    }));
    expect(plain.step.llm!.params.response_format).toBe("json_schema");
    expect(plain.step.llm!.choices[0]).toMatchObject({ text: "", refusal: "I can't help with that." });
    const streamed = await stepOf(`${OPENAI}/chat/completions`, { ...body, stream: true }, () => sse([
      chunk([{ index: 0, delta: { refusal: "I can't" } }]), chunk([{ index: 0, delta: { refusal: " help." }, finish_reason: "stop" }]), "data: [DONE]\n\n",
    ]));
    expect(streamed.step.llm!.choices[0]).toMatchObject({ refusal: "I can't help.", finishReason: "stop" });
    expect(streamed.step.firstTokenTime).toBeDefined();
  });

  it("takes Mistral's usage from its last content chunk", async () => {
    const { step } = await stepOf(`${MISTRAL}/chat/completions`, { model: "mistral-small-latest", stream: true, messages: [] }, () => sse([
      event({ id: "m1", model: "mistral-small-latest", choices: [{ index: 0, delta: { role: "assistant", content: "" } }] }),
      event({ id: "m1", model: "mistral-small-latest", choices: [{ index: 0, delta: { content: [{ type: "text", text: "Otter" }] }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
      "data: [DONE]\n\n",
    ]));
    expect(step.llm).toMatchObject({ provider: "mistral", chunks: 2, usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 }, choices: [{ text: "Otter" }] });
  });

  it("records a Mistral agents completion as chat, with its agent id", async () => {
    const { step } = await stepOf(`${MISTRAL}/agents/completions`, { agent_id: "ag_1", messages: [{ role: "user", content: "hi" }] }, () => Response.json({
      id: "a1", model: "mistral-medium-latest", choices: [{ index: 0, message: { content: "hello" }, finish_reason: "stop" }],
    }));
    expect(step).toMatchObject({ name: "chat", outputText: "hello" });
    expect(step.llm).toMatchObject({ operation: "chat", agentId: "ag_1", responseModel: "mistral-medium-latest", path: "/v1/agents/completions" });
  });

  it("on Azure, names the deployment as the model when the body has none, and the body's model otherwise", async () => {
    const azure = "https://contoso.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21";
    const reply = () => Response.json({ id: "x", model: "gpt-4o-2024-08-06", choices: [] });
    expect((await stepOf(azure, { messages: [] }, reply)).step).toMatchObject({ name: "chat prod-4o", llm: { requestModel: "prod-4o", responseModel: "gpt-4o-2024-08-06" } });
    expect((await stepOf(azure, { model: "gpt-4o", messages: [] }, reply)).step.llm!.requestModel).toBe("gpt-4o");
  });
});

describe("Responses API", () => {
  const response = (output: object[], extra: object = {}) => ({
    id: "resp_1", object: "response", status: "completed", model: "gpt-4o-mini-2024-07-18", output,
    usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7 }, ...extra,
  });

  it("non-streamed: instructions and input as messages, output text and function calls, usage", async () => {
    const { step } = await stepOf(`${OPENAI}/responses`, {
      model: "gpt-4o-mini", instructions: "Be brief.", input: [{ role: "user", content: [{ type: "input_text", text: "Weather?" }] }],
      tools: [{ type: "function", name: "weather" }, { type: "web_search" }], max_output_tokens: 50, reasoning: { effort: "low" }, text: { format: { type: "json_object" } },
    }, () => Response.json(response([
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking." }] },
      { type: "function_call", id: "fc_1", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
    ])));
    expect(step).toMatchObject({ name: "chat gpt-4o-mini", outputText: "Checking." });
    expect(step.llm).toMatchObject({
      operation: "chat", responseId: "resp_1", usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 },
      params: { tools: ["weather", "web_search"], max_output_tokens: 50, reasoning_effort: "low", response_format: "json_object" },
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather?" }],
      choices: [{ index: 0, text: "Checking.", finishReason: "tool_calls", toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Paris"}' }] }],
    });
  });

  it("records input items as chat messages with text content: parts joined, tool calls and outputs, other items named", async () => {
    const { step, exported } = await stepOf(`${OPENAI}/responses`, {
      model: "m",
      input: [
        { role: "developer", content: "Answer in French." },
        { role: "user", content: [{ type: "input_text", text: "hi" }, { type: "input_text", text: "there" }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "What is this?" }, { type: "input_image", image_url: "data:image/png;base64,AAAA" }, { type: "input_file", file_id: "file-1" }] },
        { type: "reasoning", id: "rs_1", summary: [{ type: "summary_text", text: "Need the weather." }], encrypted_content: "gAAAA" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking." }] },
        { type: "function_call", id: "fc_1", call_id: "call_1", name: "weather", arguments: '{"city":"Paris"}' },
        { type: "function_call", id: "fc_2", call_id: "call_2", name: "time", arguments: '{"tz":"CET"}' },
        { type: "function_call_output", call_id: "call_1", output: "18°C" },
        { type: "function_call_output", call_id: "call_2", output: [{ type: "input_text", text: "14:00" }] },
        { type: "web_search_call", id: "ws_1", status: "completed" },
      ],
    }, () => Response.json(response([{ type: "message", content: [{ type: "output_text", text: "Il fait 18°C." }] }])));
    expect(step.llm!.messages).toEqual([
      { role: "developer", content: "Answer in French." },
      { role: "user", content: "hi\nthere" },
      { role: "user", content: "What is this?\n[input_image]\n[input_file]" },
      { role: "assistant", content: "Need the weather." },
      { role: "assistant", content: "Checking." },
      { role: "assistant", tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }] },
      { role: "assistant", tool_calls: [{ id: "call_2", type: "function", function: { name: "time", arguments: '{"tz":"CET"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: "18°C" },
      { role: "tool", tool_call_id: "call_2", content: "14:00" },
      { role: "assistant", content: "[web_search_call]" },
    ]);
    // What exporters show: text, never the parts' JSON nor an image's bytes.
    expect(step.inputText).toContain('{"role":"user","content":"hi\\nthere"}');
    expect(exported).not.toContain("input_text");
    expect(exported).not.toContain("base64,AAAA");
  });

  it("names why a response is incomplete as its finish reason", async () => {
    const { step } = await stepOf(`${OPENAI}/responses`, { model: "m", input: "long" }, () => Response.json(response(
      [{ type: "message", content: [{ type: "output_text", text: "Once" }] }], { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } },
    )));
    expect(step.llm!.choices[0]!.finishReason).toBe("max_output_tokens");
  });

  it("streamed: text deltas, function-call argument deltas by output index, usage from response.completed", async () => {
    const created = { id: "resp_2", model: "gpt-4o-mini-2024-07-18", status: "in_progress", output: [], usage: null };
    const e = (data: Record<string, unknown>) => event(data, String(data.type));
    const { step } = await stepOf(`${OPENAI}/responses`, { model: "gpt-4o-mini", input: "hi", stream: true }, () => sse([
      e({ type: "response.created", response: created }),
      e({ type: "response.output_item.added", output_index: 0, item: { type: "message", id: "msg_1", content: [] } }),
      e({ type: "response.output_text.delta", output_index: 0, item_id: "msg_1", content_index: 0, delta: "Let me " }),
      e({ type: "response.output_text.delta", output_index: 0, item_id: "msg_1", content_index: 0, delta: "check." }),
      e({ type: "response.output_item.added", output_index: 1, item: { type: "function_call", id: "fc_1", call_id: "call_9", name: "weather", arguments: "" } }),
      e({ type: "response.function_call_arguments.delta", output_index: 1, item_id: "fc_1", delta: '{"city":' }),
      e({ type: "response.function_call_arguments.delta", output_index: 1, item_id: "fc_1", delta: '"Paris"}' }),
      e({ type: "response.output_item.done", output_index: 1, item: { type: "function_call", id: "fc_1", call_id: "call_9", name: "weather", arguments: '{"city":"Paris"}' } }),
      e({ type: "response.completed", response: { ...created, status: "completed", usage: { input_tokens: 1, output_tokens: 9, total_tokens: 10 } } }),
    ]));
    expect(step).toMatchObject({ status: "ok", outputText: "Let me check." });
    expect(step.llm).toMatchObject({
      streamed: true, chunks: 9, responseId: "resp_2", usage: { inputTokens: 1, outputTokens: 9, totalTokens: 10 },
      choices: [{ text: "Let me check.", finishReason: "tool_calls", toolCalls: [{ id: "call_9", name: "weather", arguments: '{"city":"Paris"}' }] }],
    });
    expect(step.llm!.parseProblem).toBeUndefined();
    expect(step.firstTokenTime).toBeLessThanOrEqual(step.llm!.lastTokenTime!);
  });
});

describe("embeddings", () => {
  // 1536 float32s, base64-encoded: what text-embedding-3-small sends the openai SDK.
  const vector = btoa(String.fromCharCode(...new Uint8Array(new Float32Array(1536).fill(0.25).buffer)));

  it("works out the dimension of base64 vectors (4 bytes a float) and never exports a vector", async () => {
    const { step, exported } = await stepOf(`${OPENAI}/embeddings`, { model: "text-embedding-3-small", input: ["a", "b"], encoding_format: "base64" }, () => Response.json({
      object: "list", model: "text-embedding-3-small", data: [{ index: 0, embedding: vector }, { index: 1, embedding: vector }], usage: { prompt_tokens: 2, total_tokens: 2 },
    }));
    expect(step).toMatchObject({ name: "embeddings text-embedding-3-small", status: "ok" });
    expect(step.llm).toMatchObject({ operation: "embeddings", embeddings: { inputs: 2, dimension: 1536 }, usage: { inputTokens: 2, totalTokens: 2 } });
    expect(step.outputText).toBeUndefined();
    expect(exported).not.toContain(vector.slice(0, 40));
  });

  it("counts inputs: a string, a list of strings or token lists, or one list of token ids", async () => {
    const reply = () => Response.json({ data: [{ embedding: [0.1, 0.2, 0.3] }] });
    const inputs = async (input: unknown) => (await stepOf(`${OPENAI}/embeddings`, { model: "m", input }, reply)).step.llm!.embeddings;
    expect(await inputs("one")).toEqual({ inputs: 1, dimension: 3 });
    expect(await inputs(["a", "b", "c"])).toEqual({ inputs: 3, dimension: 3 });
    expect(await inputs([1, 2, 3])).toEqual({ inputs: 1, dimension: 3 });
    expect(await inputs([[1, 2], [3]])).toEqual({ inputs: 2, dimension: 3 });
  });

  it("reads Mistral's packed dtypes: a byte per int8 value, a bit per binary one", async () => {
    const dimension = async (output_dtype: string, embedding: unknown) =>
      (await stepOf(`${MISTRAL}/embeddings`, { model: "mistral-embed", input: ["x"], output_dtype }, () => Response.json({ id: "e", data: [{ embedding }] }))).step.llm!.embeddings!.dimension;
    expect(await dimension("float", [0.5, 0.25])).toBe(2);
    expect(await dimension("int8", [1, -2, 3, 4])).toBe(4);
    expect(await dimension("binary", [255, 0])).toBe(16);
  });
});

describe("text completions", () => {
  it("legacy completions, streamed: text pieces in choices[].text, usage from the final chunk", async () => {
    const base = { id: "cmpl-1", object: "text_completion", model: "gpt-3.5-turbo-instruct" };
    const { step } = await stepOf(`${OPENAI}/completions`, { model: "gpt-3.5-turbo-instruct", prompt: "Say a color", stream: true, max_tokens: 3 }, () => sse([
      event({ ...base, choices: [{ index: 0, text: "Te", finish_reason: null }] }),
      event({ ...base, choices: [{ index: 0, text: "al", finish_reason: "stop" }] }),
      event({ ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
      "data: [DONE]\n\n",
    ]));
    expect(step).toMatchObject({ name: "text_completion gpt-3.5-turbo-instruct", outputText: "Teal" });
    expect(step.llm).toMatchObject({ operation: "text_completion", prompt: "Say a color", params: { max_tokens: 3 }, usage: { inputTokens: 3 }, choices: [{ text: "Teal", finishReason: "stop" }] });
  });

  it("legacy completions, not streamed, with a list of prompts", async () => {
    const { step } = await stepOf(`${OPENAI}/completions`, { model: "m", prompt: ["a", "b"] }, () => Response.json({
      choices: [{ index: 0, text: "1", finish_reason: "stop" }, { index: 1, text: "2", finish_reason: "stop" }],
    }));
    expect(step.llm).toMatchObject({ prompt: '["a","b"]', choices: [{ text: "1" }, { text: "2" }] });
  });

  it("Mistral FIM: prompt and suffix in, chat-shaped choices out", async () => {
    const { step } = await stepOf(`${MISTRAL}/fim/completions`, { model: "codestral-latest", prompt: "def f(", suffix: "return x", temperature: 0 }, () => Response.json({
      id: "f1", model: "codestral-latest", choices: [{ index: 0, message: { role: "assistant", content: "x):\n    " }, finish_reason: "stop" }], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 },
    }));
    expect(step).toMatchObject({ name: "text_completion codestral-latest", outputText: "x):\n    " });
    expect(step.llm).toMatchObject({ operation: "text_completion", prompt: "def f(", suffix: "return x", params: { temperature: 0 } });
  });
});

describe("recordContent: false", () => {
  it("exports no prompt or FIM suffix", async () => {
    upstream(() => Response.json({ choices: [{ index: 0, message: { content: "x):" } }] }));
    const { invocation, steps } = traced({ recordContent: false });
    await invocation.fetch(`${MISTRAL}/fim/completions`, jsonInit({ model: "codestral-latest", prompt: "PROMPT-TEXT", suffix: "SUFFIX-TEXT" }));
    const { steps: [step], exported } = await steps();
    expect(step!.llm).toMatchObject({ operation: "text_completion", requestModel: "codestral-latest" });
    expect(exported).not.toMatch(/PROMPT-TEXT|SUFFIX-TEXT/);
  });
});

describe("in the console tree", () => {
  it("shows an embeddings call's inputs and dimension, and a generic call's method and path", async () => {
    const lines: string[] = [];
    upstream((input) => (String(input).endsWith("/models") ? Response.json({ data: [] }) : Response.json({ model: "text-embedding-3-small", data: [{ embedding: [0, 1, 2] }] })));
    const invocation = createTracer({ exporters: [consoleExporter({ write: (text) => lines.push(text) })] }).startInvocation();
    await invocation.fetch(`${OPENAI}/embeddings`, jsonInit({ model: "text-embedding-3-small", input: ["a", "b"] }));
    await invocation.fetch(`${OPENAI}/models`);
    await invocation.flush();
    expect(lines.join("\n")).toMatch(/embeddings text-embedding-3-small · openai · 2 inputs × 3 dims · \d+ ms/);
    expect(lines.join("\n")).toMatch(/GET \/v1\/models · openai · \d+ ms/);
  });
});

describe("linking", () => {
  it("a log without output takes the last chat's text, not an embeddings or generic call made after it", async () => {
    upstream((input) => String(input).endsWith("/chat/completions")
      ? Response.json({ choices: [{ index: 0, message: { content: "Teal" } }] })
      : Response.json({ data: [{ embedding: [0, 1] }] }));
    const { invocation, steps } = traced();
    await invocation.fetch(`${OPENAI}/chat/completions`, jsonInit({ model: "m", messages: [] }));
    await invocation.fetch(`${OPENAI}/embeddings`, jsonInit({ model: "e", input: "Teal" }));
    await invocation.fetch(`${OPENAI}/models`);
    invocation.log({ input: "Say a color" });
    const { exported } = await steps();
    expect(JSON.parse(exported).logs[0]).toMatchObject({ output: "Teal" });
  });
});
