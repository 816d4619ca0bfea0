// Reads the chat completions dialect shared by OpenAI and Mistral: the request, the JSON response,
// and the streamed chunks, into an LlmCall. Mistral differs only in details handled here
// (content as an array of chunks, usage in the last content chunk).
import type { Choice, LlmCall, ToolCall } from "../core/step.js";

type Json = Record<string, any>;

/** Request fields recorded as parameters; messages, model and tools are recorded on their own. */
const PARAMS = [
  "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stop", "seed", "presence_penalty",
  "frequency_penalty", "stream", "tool_choice", "parallel_tool_calls", "random_seed", "safe_prompt", "reasoning_effort", "user",
];

export function readChatRequest(llm: LlmCall, body: Json): void {
  if (typeof body.model === "string") llm.requestModel = body.model;
  llm.messages = body.messages;
  llm.streamed = body.stream === true;
  for (const key of PARAMS) if (body[key] !== undefined) llm.params[key] = body[key];
  if (body.response_format?.type) llm.params.response_format = body.response_format.type;
  if (Array.isArray(body.tools)) llm.params.tools = body.tools.map((tool: Json) => tool?.function?.name ?? tool?.type);
}

export function readChatResponse(llm: LlmCall, body: Json): void {
  readEnvelope(llm, body);
  for (const raw of asArray(body.choices)) {
    const choice = choiceAt(llm, raw.index);
    const message = raw.message ?? {};
    choice.text = contentText(message.content);
    if (message.refusal) choice.refusal = message.refusal;
    if (raw.finish_reason) choice.finishReason = raw.finish_reason;
    const calls = asArray(message.tool_calls);
    if (calls.length) choice.toolCalls = calls.map((call) => ({ id: call.id, name: call.function?.name, arguments: argumentsText(call.function?.arguments) }));
  }
}

/**
 * Applies one streamed chunk. Returns true when it carried the first token
 * (content, a refusal or a tool call), so the caller can time it.
 */
export function readChatChunk(llm: LlmCall, chunk: Json): boolean {
  readEnvelope(llm, chunk);
  let token = false;
  for (const raw of asArray(chunk.choices)) {
    const choice = choiceAt(llm, raw.index);
    const delta = raw.delta ?? {};
    const text = contentText(delta.content);
    if (text) {
      choice.text += text;
      token = true;
    }
    if (delta.refusal) {
      choice.refusal = (choice.refusal ?? "") + delta.refusal;
      token = true;
    }
    for (const part of asArray(delta.tool_calls)) {
      token = true;
      mergeToolCall((choice.toolCalls ??= []), part);
    }
    if (raw.finish_reason) choice.finishReason = raw.finish_reason;
  }
  return token;
}

/** id, model, fingerprint and usage appear on every chunk, or only some: keep the last seen. */
function readEnvelope(llm: LlmCall, body: Json): void {
  if (typeof body.id === "string") llm.responseId = body.id;
  if (typeof body.model === "string") llm.responseModel = body.model;
  if (typeof body.system_fingerprint === "string") llm.systemFingerprint = body.system_fingerprint;
  const usage = body.usage;
  if (usage && typeof usage === "object") {
    llm.usage = {
      inputTokens: usage.prompt_tokens ?? usage.input_tokens,
      outputTokens: usage.completion_tokens ?? usage.output_tokens,
      totalTokens: usage.total_tokens,
    };
  }
}

/** Streamed tool calls arrive in pieces keyed by index: the first piece has id and name, later ones append arguments. */
function mergeToolCall(calls: ToolCall[], part: Json): void {
  const index = typeof part.index === "number" ? part.index : calls.length;
  const call = (calls[index] ??= { arguments: "" });
  if (part.id) call.id = part.id;
  if (part.function?.name) call.name = part.function.name;
  call.arguments += argumentsText(part.function?.arguments);
}

function choiceAt(llm: LlmCall, index: unknown): Choice {
  const at = typeof index === "number" && index >= 0 ? index : 0;
  return (llm.choices[at] ??= { index: at, text: "" });
}

/** Content is a string (OpenAI), or a list of chunks such as `{type: "text", text}` (Mistral, multimodal). */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (typeof part === "string" ? part : typeof part?.text === "string" ? part.text : "")).join("");
}

/** Mistral may send tool arguments as an object rather than a JSON string. */
const argumentsText = (value: unknown): string => (typeof value === "string" ? value : value === undefined ? "" : JSON.stringify(value));

const asArray = (value: unknown): Json[] => (Array.isArray(value) ? value.filter((item) => item && typeof item === "object") : []);

/** The provider's error message from an error body, in either dialect, or the start of a non-JSON page. */
export function readErrorBody(text: string): { type: string; message: string } | undefined {
  let body: Json;
  try {
    body = JSON.parse(text);
  } catch {
    return text.trim() ? { type: "non_json_body", message: text.slice(0, 512) } : undefined;
  }
  const error = body.error && typeof body.error === "object" ? body.error : body;
  const message = error.message ?? body.detail ?? text.slice(0, 512);
  return { type: String(error.type ?? error.code ?? "error"), message: typeof message === "string" ? message : JSON.stringify(message) };
}
