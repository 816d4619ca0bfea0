// Reads the chat completions dialect shared by OpenAI, Azure OpenAI and Mistral (chat and agents): the request,
// the JSON response, and the streamed chunks, into an LlmCall. Mistral differs only in details handled here
// (content as an array of chunks, tool arguments as objects, usage in the last content chunk).
import type { Choice, LlmCall, ToolCall } from "../model/records.js";
import { asArray, readParams, readUsage, TOKEN, type Dialect, type Json } from "./dialect.js";

/** Request fields recorded as parameters; messages, model and tools are recorded on their own. */
const PARAMS = [
  "temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "stop", "seed", "presence_penalty",
  "frequency_penalty", "stream", "tool_choice", "parallel_tool_calls", "random_seed", "safe_prompt", "reasoning_effort", "user",
];

export function readChatRequest(llm: LlmCall, body: Json): void {
  if (typeof body.model === "string" && body.model) llm.requestModel = body.model;
  if (typeof body.agent_id === "string") llm.agentId = body.agent_id;
  llm.messages = body.messages;
  llm.streamed = body.stream === true;
  readParams(llm, body, PARAMS);
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
 * Applies one streamed chunk. Returns TOKEN when it carried a token (content, a refusal or a tool call),
 * so the caller can time the first and the last.
 */
export function readChatChunk(llm: LlmCall, chunk: Json): number {
  readEnvelope(llm, chunk);
  let token = 0;
  const choices = chunk.choices;
  if (!Array.isArray(choices)) return 0;
  for (const raw of choices) {
    if (!raw || typeof raw !== "object") continue;
    const choice = choiceAt(llm, raw.index);
    const delta = raw.delta ?? {};
    const content = delta.content;
    const text = typeof content === "string" ? content : contentText(content);
    if (text) {
      choice.text += text;
      token = TOKEN;
    }
    if (delta.refusal) {
      choice.refusal = (choice.refusal ?? "") + delta.refusal;
      token = TOKEN;
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const part of delta.tool_calls) {
        if (!part || typeof part !== "object") continue;
        token = TOKEN;
        mergeToolCall((choice.toolCalls ??= []), part);
      }
    }
    if (raw.finish_reason) choice.finishReason = raw.finish_reason;
  }
  return token;
}

export const chatDialect: Dialect = {
  operation: "chat",
  readRequest: readChatRequest,
  readResponse: readChatResponse,
  streamReader: (llm) => (chunk) => readChatChunk(llm, chunk),
};

/**
 * id, model, fingerprint and usage appear on every chunk, or only some: keep the last non-empty one.
 * (Azure's first streamed chunk has an empty id and model, and only content-filter results.)
 */
export function readEnvelope(llm: LlmCall, body: Json): void {
  if (typeof body.id === "string" && body.id) llm.responseId = body.id;
  if (typeof body.model === "string" && body.model) llm.responseModel = body.model;
  if (typeof body.system_fingerprint === "string") llm.systemFingerprint = body.system_fingerprint;
  if (body.usage) readUsage(llm, body.usage);
}

/**
 * Streamed tool calls arrive in pieces keyed by index: the first piece has id and name, later ones append arguments.
 * A piece with a new id at a taken index is a new call (some servers number each call's pieces from 0).
 */
function mergeToolCall(calls: ToolCall[], part: Json): void {
  let index = typeof part.index === "number" ? part.index : calls.length;
  if (part.id && calls[index]?.id && calls[index]!.id !== part.id) index = calls.length;
  const call = (calls[index] ??= { arguments: "" });
  if (part.id) call.id = part.id;
  if (part.function?.name) call.name = part.function.name;
  call.arguments += argumentsText(part.function?.arguments);
}

export function choiceAt(llm: LlmCall, index: unknown): Choice {
  const at = typeof index === "number" && index >= 0 ? index : 0;
  return (llm.choices[at] ??= { index: at, text: "" });
}

/** Content is a string (OpenAI), or a list of chunks such as `{type: "text", text}` (Mistral, multimodal). */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (typeof part === "string" ? part : typeof part?.text === "string" ? part.text : "")).join("");
}

/** Mistral may send tool arguments as an object rather than a JSON string. */
export const argumentsText = (value: unknown): string => (typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value));
