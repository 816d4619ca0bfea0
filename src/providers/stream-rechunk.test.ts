// Property: whatever way the network cuts a recorded stream, the traced fetch hands the caller the very same
// chunks and records the very same step. 1,000 random chunkings of each streamed endpoint's recorded stream.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTracer, type ExportedStep } from "../index.js";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { mulberry32, randomChunks } from "../../test/support/random-chunks.js";

const RUNS = 1000;


const lines = (events: object[], eol = "\n") => events.map((e) => `data: ${JSON.stringify(e)}${eol}${eol}`).join("") + `data: [DONE]${eol}${eol}`;

/** OpenAI chat, two parallel tool calls with non-ASCII arguments, then the usage chunk. */
function openAiTools(): string {
  const base = { id: "chatcmpl-B9", object: "chat.completion.chunk", created: 1764000000, model: "gpt-4o-2024-08-06", system_fingerprint: "fp_50cad350e4" };
  const call = (tool_calls: object[], finish_reason: string | null = null) => ({ ...base, choices: [{ index: 0, delta: { tool_calls }, logprobs: null, finish_reason }], usage: null });
  return lines([
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: null }, logprobs: null, finish_reason: null }], usage: null },
    call([{ index: 0, id: "call_Zu", type: "function", function: { name: "get_weather", arguments: "" } }]),
    call([{ index: 0, function: { arguments: '{"city": "Zü' } }]),
    call([{ index: 0, function: { arguments: 'rich"}' } }]),
    call([{ index: 1, id: "call_To", type: "function", function: { name: "get_weather", arguments: "" } }]),
    call([{ index: 1, function: { arguments: '{"city": "東京 🗼"}' } }]),
    { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" }], usage: null },
    { ...base, choices: [], usage: { prompt_tokens: 80, completion_tokens: 48, total_tokens: 128 } },
  ]);
}

/** Mistral chat: \r\n line ends, content as text chunks, usage in the last content chunk. */
function mistralChat(): string {
  const base = { id: "cmpl-7f3e", object: "chat.completion.chunk", created: 1764000000, model: "mistral-small-latest" };
  const words = ["Le", " bleu", " sarcelle", " — 青緑", " 😌", "."];
  return lines([
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
    ...words.map((word, i) => ({
      ...base,
      choices: [{ index: 0, delta: { content: i % 2 ? [{ type: "text", text: word }] : word }, finish_reason: i === words.length - 1 ? "stop" : null }],
      ...(i === words.length - 1 ? { usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 } } : {}),
    })),
  ], "\r\n");
}

/** The Responses API: typed events with `event:` lines, text then a function call, usage on response.completed. */
function responsesStream(): string {
  const response = { id: "resp_68", object: "response", created_at: 1764000000, model: "gpt-4.1-2025-04-14", output: [] };
  const events: Record<string, unknown>[] = [
    { type: "response.created", response: { ...response, status: "in_progress", usage: null } },
    { type: "response.in_progress", response: { ...response, status: "in_progress", usage: null } },
    { type: "response.output_item.added", output_index: 0, item: { id: "msg_1", type: "message", role: "assistant", content: [] } },
    { type: "response.content_part.added", item_id: "msg_1", output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } },
    ...["Checking", " the sky", " över", " Zürich ☁️", "…"].map((delta) => ({ type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta })),
    { type: "response.output_item.done", output_index: 0, item: { id: "msg_1", type: "message" } },
    { type: "response.output_item.added", output_index: 1, item: { id: "fc_1", type: "function_call", call_id: "call_sky", name: "get_weather", arguments: "" } },
    { type: "response.function_call_arguments.delta", item_id: "fc_1", output_index: 1, delta: '{"city":' },
    { type: "response.function_call_arguments.delta", item_id: "fc_1", output_index: 1, delta: '"Zürich"}' },
    { type: "response.completed", response: { ...response, status: "completed", usage: { input_tokens: 20, output_tokens: 12, total_tokens: 32 } } },
  ];
  return events.map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`).join("");
}

/** OpenAI's legacy completions with `n: 2`: each choice's text in `text`, the choices interleaved, then the usage chunk. */
function legacyCompletions(): string {
  const base = { id: "cmpl-AZ", object: "text_completion", created: 1764000000, model: "gpt-3.5-turbo-instruct:20230824-v2" };
  const piece = (index: number, text: string, finish_reason: string | null = null) => ({ ...base, choices: [{ text, index, logprobs: null, finish_reason }] });
  return lines([
    piece(0, "Once"), piece(1, "Il"), piece(0, " upon"), piece(1, " était"), piece(0, " a time — ✨"), piece(1, " une fois 🌙"),
    piece(0, "", "stop"), piece(1, "", "length"),
    { ...base, choices: [], usage: { prompt_tokens: 5, completion_tokens: 11, total_tokens: 16 } },
  ]);
}

/** Mistral FIM: chat-shaped chunks completing the code between a prompt and a suffix. */
function mistralFim(): string {
  const base = { id: "fim-9c", object: "chat.completion.chunk", created: 1764000000, model: "codestral-2501" };
  const pieces = ["\n  return", " a", " + b;", " // ➕"];
  return lines(pieces.map((content, i) => ({
    ...base,
    choices: [{ index: 0, delta: { content }, finish_reason: i === pieces.length - 1 ? "stop" : null }],
    ...(i === pieces.length - 1 ? { usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 } } : {}),
  })));
}

const recorded = [
  { name: "OpenAI chat with parallel tool calls", url: "https://api.openai.com/v1/chat/completions", text: openAiTools() },
  { name: "Mistral chat", url: "https://api.mistral.ai/v1/chat/completions", text: mistralChat() },
  { name: "Responses API stream", url: "https://api.openai.com/v1/responses", text: responsesStream() },
  { name: "legacy completions stream with two choices", url: "https://api.openai.com/v1/completions", text: legacyCompletions() },
  { name: "Mistral FIM stream", url: "https://api.mistral.ai/v1/fim/completions", text: mistralFim() },
];

let chunks: Uint8Array[] = [];
beforeAll(() => {
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) => (i < chunks.length ? controller.enqueue(chunks[i++]!) : controller.close()),
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
});
afterAll(() => vi.restoreAllMocks());

const memory = memoryExporter();
// No automatic log: each recorded step stays loose, where the test reads it.
const tracer = createTracer({ exporters: [memory], autoLog: false });

/** Streams `pieces` through a traced fetch; returns the chunks the caller read and the step, without its times and ids. */
async function throughTracedFetch(url: string, pieces: Uint8Array[]) {
  chunks = pieces;
  memory.batches.length = 0;
  const invocation = tracer.startInvocation();
  const response = await invocation.fetch(url, { method: "POST", body: '{"model":"m","stream":true,"messages":[],"input":"x"}' });
  const reader = response.body!.getReader();
  const read: Uint8Array[] = [];
  for (let next = await reader.read(); !next.done; next = await reader.read()) read.push(next.value);
  await invocation.flush();
  const step: ExportedStep = memory.batches[0]!.looseSteps[0]!;
  const { lastTokenTime, ...llm } = step.llm!;
  return { read, step: { status: step.status, outputText: step.outputText, error: step.error, timed: step.firstTokenTime! <= lastTokenTime!, llm } };
}

/** Chunk by chunk, byte by byte (a deep equality on a thousand small arrays is what would make this test slow). */
function sameChunks(a: Uint8Array[], b: Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((chunk, i) => chunk.length === b[i]!.length && chunk.every((byte, j) => byte === b[i]![j]));
}

describe("re-chunking a recorded stream through the traced fetch", () => {
  it("records what each recorded stream says", async () => {
    const steps = [];
    for (const { url, text } of recorded) steps.push((await throughTracedFetch(url, [new TextEncoder().encode(text)])).step);
    const [tools, mistral, responses, legacy, fim] = steps;
    expect(tools).toMatchObject({
      status: "ok", timed: true,
      llm: { chunks: 8, responseModel: "gpt-4o-2024-08-06", systemFingerprint: "fp_50cad350e4", usage: { inputTokens: 80, outputTokens: 48, totalTokens: 128 } },
    });
    expect(tools!.llm.choices).toEqual([{
      index: 0, text: "", finishReason: "tool_calls",
      toolCalls: [{ id: "call_Zu", name: "get_weather", arguments: '{"city": "Zürich"}' }, { id: "call_To", name: "get_weather", arguments: '{"city": "東京 🗼"}' }],
    }]);
    expect(mistral).toMatchObject({ status: "ok", outputText: "Le bleu sarcelle — 青緑 😌.", llm: { chunks: 7, usage: { inputTokens: 9, outputTokens: 6 }, choices: [{ finishReason: "stop" }] } });
    expect(responses).toMatchObject({ status: "ok", outputText: "Checking the sky över Zürich ☁️…", llm: { responseId: "resp_68", usage: { inputTokens: 20, outputTokens: 12 } } });
    expect(responses!.llm.choices[0]!.toolCalls).toEqual([{ id: "call_sky", name: "get_weather", arguments: '{"city":"Zürich"}' }]);
    expect(legacy).toMatchObject({ status: "ok", llm: { operation: "text_completion", chunks: 9, responseModel: "gpt-3.5-turbo-instruct:20230824-v2", usage: { inputTokens: 5, outputTokens: 11 } } });
    expect(legacy!.llm.choices).toEqual([
      { index: 0, text: "Once upon a time — ✨", finishReason: "stop" },
      { index: 1, text: "Il était une fois 🌙", finishReason: "length" },
    ]);
    expect(fim).toMatchObject({ status: "ok", outputText: "\n  return a + b; // ➕", llm: { operation: "text_completion", chunks: 4, usage: { inputTokens: 12, outputTokens: 7 }, choices: [{ finishReason: "stop" }] } });
    for (const step of steps) expect(step!.llm.parseProblem).toBeUndefined();
  });

  for (const [index, { name, url, text }] of recorded.entries()) {
    it(`gives the caller the same chunks and records the same step for ${RUNS} random chunkings of the ${name}`, async () => {
      const buffer = new TextEncoder().encode(text);
      const expected = (await throughTracedFetch(url, [buffer])).step;
      for (let run = 0; run < RUNS; run++) {
        const seed = 0x7ace0000 + index * RUNS + run;
        const pieces = randomChunks(buffer, mulberry32(seed));
        const { read, step } = await throughTracedFetch(url, pieces);
        // Pass-through: the caller reads each upstream chunk as it was, so the bytes are the upstream bytes.
        if (!sameChunks(read, pieces)) expect(read, `seed ${seed}`).toEqual(pieces);
        if (JSON.stringify(step) !== JSON.stringify(expected)) expect(step, `seed ${seed} (${pieces.length} chunks)`).toEqual(expected);
      }
    });
  }
});
