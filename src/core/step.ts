// One intermediate step: an LLM call seen by the traced fetch, a custom step, or a manual step given to log().
import type { Scope } from "./scope.js";
import type { LogRecord } from "./log-record.js";

export type StepKind = "llm" | "custom" | "manual";
/** `unfinished`: still open when the flush deadline came; exported anyway, never dropped. */
export type StepStatus = "open" | "ok" | "error" | "cancelled" | "unfinished";

export interface ToolCall {
  id?: string;
  name?: string;
  arguments: string;
}

export interface Choice {
  index: number;
  text: string;
  finishReason?: string;
  toolCalls?: ToolCall[];
  refusal?: string;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

/** What the traced fetch learns about an LLM call. Headers are never kept. */
export interface LlmCall {
  provider: "openai" | "mistral";
  operation: "chat";
  serverAddress: string;
  serverPort?: number;
  requestModel?: string;
  /** Request parameters other than model and messages: temperature, max_tokens, tools (names only)… */
  params: Record<string, unknown>;
  messages?: unknown;
  streamed: boolean;
  httpStatus?: number;
  responseId?: string;
  responseModel?: string;
  systemFingerprint?: string;
  choices: Choice[];
  usage?: Usage;
  chunks?: number;
  /** Set when the request or response could not be parsed: the step keeps what it could. */
  parseProblem?: string;
}

export interface Step {
  readonly spanId: string;
  readonly kind: StepKind;
  readonly scope: Scope;
  name: string;
  startTime: number;
  firstTokenTime?: number;
  endTime?: number;
  status: StepStatus;
  error?: { type: string; message: string };
  input?: unknown;
  output?: unknown;
  metadata?: Record<string, unknown>;
  llm?: LlmCall;
  claimedBy?: LogRecord;
}

/** The text an LLM step produced: its first choice, or the tool calls it asked for. */
export function outputText(step: Step): string | undefined {
  const choice = step.llm?.choices[0];
  if (!choice) return undefined;
  if (choice.text || !choice.toolCalls?.length) return choice.text;
  return choice.toolCalls.map((call) => `${call.name ?? "tool"}(${call.arguments})`).join("\n");
}
