// One log() call as recorded, before its output and steps are resolved at flush.
import type { Scope } from "./scope.js";
import type { Step } from "./step.js";

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
  /** JSON-safe snapshot of the input, taken when log() was called. */
  readonly input: unknown;
  /** JSON-safe snapshot of the output, or the user's Promise of it, or undefined: take the last LLM step's text. */
  output: unknown;
  readonly outputGiven: boolean;
  readonly metadata: Record<string, unknown>;
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
