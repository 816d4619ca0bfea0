// Text completions: OpenAI's legacy `/v1/completions` (a prompt in, `choices[].text` out) and Mistral's FIM
// `/v1/fim/completions` (a prompt and a suffix in, chat-shaped choices out). Both are `text_completion`.
import type { LlmCall } from "../model/records.js";
import { choiceAt, readChatChunk, readChatResponse, readEnvelope } from "./chat-completions.js";
import { readParams, TOKEN, type Dialect, type Json } from "./dialect.js";

const PARAMS = [
  "temperature", "top_p", "max_tokens", "min_tokens", "n", "stop", "seed", "random_seed", "presence_penalty",
  "frequency_penalty", "stream", "best_of", "echo", "logprobs", "user",
];

function readCompletionRequest(llm: LlmCall, body: Json): void {
  if (typeof body.model === "string" && body.model) llm.requestModel = body.model;
  llm.streamed = body.stream === true;
  // A prompt is a string, a list of them, or token ids (not text: not kept).
  const prompt = body.prompt;
  if (typeof prompt === "string") llm.prompt = prompt;
  else if (Array.isArray(prompt) && prompt.every((item) => typeof item === "string")) llm.prompt = prompt.length === 1 ? prompt[0] : JSON.stringify(prompt);
  if (typeof body.suffix === "string") llm.suffix = body.suffix;
  readParams(llm, body, PARAMS);
}

function readLegacyResponse(llm: LlmCall, body: Json): void {
  readEnvelope(llm, body);
  if (!Array.isArray(body.choices)) return;
  for (const raw of body.choices) {
    if (!raw || typeof raw !== "object") continue;
    const choice = choiceAt(llm, raw.index);
    if (typeof raw.text === "string") choice.text = raw.text;
    if (raw.finish_reason) choice.finishReason = raw.finish_reason;
  }
}

/** A streamed legacy chunk carries each choice's next piece of text in `text` (not a delta object). */
function readLegacyChunk(llm: LlmCall, chunk: Json): number {
  readEnvelope(llm, chunk);
  let token = 0;
  if (!Array.isArray(chunk.choices)) return 0;
  for (const raw of chunk.choices) {
    if (!raw || typeof raw !== "object") continue;
    const choice = choiceAt(llm, raw.index);
    if (typeof raw.text === "string" && raw.text) {
      choice.text += raw.text;
      token = TOKEN;
    }
    if (raw.finish_reason) choice.finishReason = raw.finish_reason;
  }
  return token;
}

export const legacyCompletionsDialect: Dialect = {
  operation: "text_completion",
  readRequest: readCompletionRequest,
  readResponse: readLegacyResponse,
  streamReader: (llm) => (chunk) => readLegacyChunk(llm, chunk),
};

export const fimDialect: Dialect = {
  operation: "text_completion",
  readRequest: readCompletionRequest,
  readResponse: readChatResponse,
  streamReader: (llm) => (chunk) => readChatChunk(llm, chunk),
};
