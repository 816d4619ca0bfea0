// One intermediate step: an LLM call seen by the traced fetch, a custom step, or a manual step given to log().
import type { Scope } from "./scope.js";

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

/**
 * The GenAI operation of a call: `chat` (chat completions, the Responses API, Mistral agents), `text_completion`
 * (legacy completions, Mistral FIM), `embeddings`, or `generic` for any other call to a provider (path and status only).
 */
export type Operation = "chat" | "text_completion" | "embeddings" | "generic";

/** What an embeddings call produced. The vectors themselves are never kept. */
export interface EmbeddingsInfo {
  /** How many inputs were embedded (texts or token arrays). */
  inputs: number;
  /** Length of one vector, from the response (also when the vectors came base64-encoded). */
  dimension?: number;
}

/** What the traced fetch learns about an LLM call. Headers are never kept. */
export interface LlmCall {
  provider: "openai" | "mistral";
  operation: Operation;
  /** The HTTP method, `POST` for every endpoint but some generic calls. */
  method?: string;
  /** The API path, after a declared provider's base URL: `/v1/chat/completions`, `/openai/deployments/prod/embeddings`… */
  path?: string;
  serverAddress: string;
  serverPort?: number;
  /** The model asked for: the body's `model`, or the Azure deployment when the body names none. */
  requestModel?: string;
  /** Mistral agents completions: the agent that answered. */
  agentId?: string;
  /** Text completions (legacy, FIM): the prompt, and FIM's suffix. Chat calls use `messages`. */
  prompt?: string;
  suffix?: string;
  embeddings?: EmbeddingsInfo;
  /** The provider's error code (`rate_limit_exceeded`, `invalid_api_key`…) when it answered with an error. */
  errorCode?: string;
  /** Request parameters other than model and messages: temperature, max_tokens, tools (names only)… */
  params: Record<string, unknown>;
  /** Chat: the messages sent. The Responses API's `instructions` come first as a system message, then its `input`. */
  messages?: unknown;
  streamed: boolean;
  httpStatus?: number;
  responseId?: string;
  responseModel?: string;
  systemFingerprint?: string;
  choices: Choice[];
  usage?: Usage;
  /** Streams: how many events arrived (`[DONE]` not counted). */
  chunks?: number;
  /** Streams: when the last token arrived, in ms since the epoch (the first is the step's `firstTokenTime`). */
  lastTokenTime?: number;
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

/** An LLM call that answers with text (chat, text completion): what a log without `output` takes its output from. */
export const answersWithText = (step: Step): boolean =>
  step.kind === "llm" && (step.llm?.operation === "chat" || step.llm?.operation === "text_completion");

/** The text an LLM step produced: its first choice, or the tool calls it asked for. */
export function outputText(step: Step): string | undefined {
  const choice = step.llm?.choices[0];
  if (!choice) return undefined;
  if (choice.text || !choice.toolCalls?.length) return choice.text;
  return choice.toolCalls.map((call) => `${call.name ?? "tool"}(${call.arguments})`).join("\n");
}

// One log() call as recorded, before its output and steps are resolved at flush.

/** A step given by hand to `log({ steps })`, for work no traced fetch sees: retrieval, tools, post-processing. */
export interface ManualStep {
  name: string;
  input?: unknown;
  output?: unknown;
  [key: string]: unknown;
}

/** What `log()` takes. Only `input` is expected; everything else is optional. */
export interface LogEvent {
  /** The user's input: a string, or any value (serialized to text; the value is kept as `raw_input`). */
  input?: unknown;
  /** The answer: a string, any value, or a Promise of one. Left out, it becomes the text of the last LLM step this log claims. */
  output?: unknown;
  task_id?: string;
  session_id?: string;
  metadata?: Record<string, unknown>;
  /** Steps given by hand, exported as spans of this log. */
  steps?: ManualStep[];
  user_id?: string;
  version_id?: string;
  flag?: "success" | "failure";
}

/** What `log()` returns at once: the ids the log will be exported with. */
export interface LogIds {
  task_id: string;
  session_id: string;
}

export interface LogRecord {
  /** The log's own span, child of its scope's. */
  readonly spanId: string;
  readonly taskId: string;
  readonly sessionId: string;
  readonly scope: Scope;
  readonly traceId: string;
  readonly createdAt: number;
  /** JSON-safe snapshot of the input, taken when log() was called (`recordContent` and `redact` may change it at flush). */
  input: unknown;
  /** JSON-safe snapshot of the output, or the user's Promise of it, or undefined: take the last LLM step's text. */
  output: unknown;
  readonly outputGiven: boolean;
  metadata: Record<string, unknown>;
  readonly userId?: string;
  readonly versionId?: string;
  readonly flag?: "success" | "failure";
  /** What could not be kept as given (circular references, BigInt…), exported in the log's metadata. */
  readonly problems: string[];
  /** Steps this log claimed, in start order: traced calls and manual steps. */
  readonly steps: Step[];
  /** Logged without output before any LLM call of its scope: at flush, it claims the LLM calls that started after it. */
  waitsForLaterSteps: boolean;
}
