// What every endpoint reader implements, and the small readers they share (usage, lists).
import type { LlmCall, Operation } from "../model/records.js";

export type Json = Record<string, any>;

/** Flags a stream reader returns for one event: it carried a token (content, refusal, tool-call delta), and/or it was the last. */
export const TOKEN = 1;
export const END = 2;

/** Reads one endpoint family into an LlmCall. */
export interface Dialect {
  operation: Operation;
  readRequest(llm: LlmCall, body: Json): void;
  readResponse(llm: LlmCall, body: Json): void;
  /** A reader for one stream, called with each event's parsed data and its SSE event name; it may keep state. */
  streamReader?(llm: LlmCall): (event: Json, name: string) => number;
}

/** Usage in any of the dialects: chat's prompt/completion tokens, the Responses API's input/output tokens. */
export function readUsage(llm: LlmCall, usage: unknown): void {
  if (!usage || typeof usage !== "object") return;
  const u = usage as Json;
  const number = (value: unknown) => (typeof value === "number" ? value : undefined);
  llm.usage = {
    inputTokens: number(u.prompt_tokens ?? u.input_tokens),
    outputTokens: number(u.completion_tokens ?? u.output_tokens),
    totalTokens: number(u.total_tokens),
  };
}

/** Request fields that are numbers, strings or booleans, kept as parameters when present. */
export function readParams(llm: LlmCall, body: Json, keys: readonly string[]): void {
  for (const key of keys) if (body[key] !== undefined && body[key] !== null) llm.params[key] = body[key];
}

export const asArray = (value: unknown): Json[] => (Array.isArray(value) ? value.filter((item) => item && typeof item === "object") : []);

export const isJsonObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
