// The exporter contract: what a flush hands to each destination, and what it gets back.
import type { LlmCall, StepKind, StepStatus } from "./records.js";

/**
 * What one flush delivered, per destination summed up. Counts are logs plus steps: `sent` what the destinations
 * accepted (items a destination kept while refusing them, `stored: true`, included), `dropped` what they did not.
 *
 * @example
 * const { dropped, errors } = await invocation.flush();
 * // errors: [{ destination: "phospho steps", part: "steps", reason: "HTTP 503: busy; no time left in the flush budget to retry", count: 2, retryable: true, status: 503 }]
 */
export interface ExportResult {
  sent: number;
  retried: number;
  dropped: number;
  errors: Array<{
    /** Where it went: `phospho logs`, `phospho steps`, `otlp <host>`, `queue`… */
    destination: string;
    /** Why, with the server's own message where it gave one. */
    reason: string;
    /** How many logs and steps it concerns. */
    count: number;
    /** Sending the same again later may succeed: a network error, the budget spent, HTTP 408, 429 or 5xx. */
    retryable: boolean;
    /** The HTTP status of the failed reply, when there was one (not for items refused inside a 2xx reply). */
    status?: number;
    /** For an exporter that sends a batch in separately accepted requests, which one failed (phospho: `logs`, `steps`). */
    part?: string;
    /**
     * The destination refused these items but kept them (phospho stores a log over its plan's quota as a task,
     * without analytics): counted in `sent`, not `dropped`, and never retried.
     */
    stored?: boolean;
  }>;
}

/** A step ready to export: a plain copy of what was recorded, its text fields bounded by `maxFieldBytes`. */
export interface ExportedStep {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: StepKind;
  status: Exclude<StepStatus, "open">;
  startTime: number;
  endTime: number;
  firstTokenTime?: number;
  error?: { type: string; message: string };
  /** The step's input as text: the messages sent, or a custom step's input. */
  inputText?: string;
  /** The step's output as text: the first choice, or a custom step's output. */
  outputText?: string;
  /** Other fields of a manual or custom step. */
  metadata?: Record<string, unknown>;
  llm?: LlmCall;
  /** Position among its log's manual steps (phospho names those spans `phospho.<task_id>_intermediate_<i>`). */
  index: number;
  /** A long chat history was bounded to `maxFieldBytes`: how many of its first messages were left out. */
  messagesLeftOut?: number;
}

/** One log, in phospho's event shape, with the steps it claimed. */
export interface ExportedLog {
  traceId: string;
  spanId: string;
  /** The span of the scope it was logged in. */
  parentSpanId: string;
  task_id: string;
  session_id: string;
  input: string;
  output: string | null;
  raw_input?: unknown;
  raw_output?: unknown;
  metadata: Record<string, unknown>;
  /** Milliseconds since the epoch; the phospho exporter sends whole seconds. */
  createdAt: number;
  user_id?: string;
  version_id?: string;
  flag?: "success" | "failure";
  environment?: string;
  steps: ExportedStep[];
}

/** The invocation's root span (the handler) or a `tracer()`/`trace()` block. */
export interface ExportedScope {
  traceId: string;
  spanId: string;
  /** For the root: the remote parent it continues, if any. */
  parentSpanId?: string;
  traceState?: string;
  name: string;
  isRoot: boolean;
  startTime: number;
  endTime: number;
  /** Root: invocation totals (steps, tokens, LLM time). Blocks: the ids and metadata they set. */
  attributes: Record<string, string | number | boolean>;
}

export interface ExportBatch {
  resource: { serviceName: string; environment?: string; versionId?: string };
  /** Root spans and blocks of the invocations in this batch (several when orphan logs joined it). */
  scopes: ExportedScope[];
  logs: ExportedLog[];
  /** Steps of an invocation that logged nothing: exported with its trace id alone. */
  looseSteps: ExportedStep[];
}

export interface ExportOptions {
  /** Aborts when the flush budget is spent. */
  signal: AbortSignal;
  /** When the flush budget ends, in epoch milliseconds: retries must fit before it. */
  deadline: number;
  /** The untraced fetch to send with. */
  fetch: typeof fetch;
  /** Which GenAI attribute names span exporters write (config `semconv`). Default `current`. */
  semconv?: "current" | "legacy" | "both";
}

/** A destination for traces. Implement it to send anywhere; `export` should not throw (a throw counts as a failure). */
export interface Exporter {
  readonly name: string;
  export(batch: ExportBatch, options: ExportOptions): Promise<ExportResult>;
}

/** Every step of a batch, claimed or loose. */
export function allSteps(batch: ExportBatch): ExportedStep[] {
  return [...batch.logs.flatMap((log) => log.steps), ...batch.looseSteps];
}

export const emptyResult = (): ExportResult => ({ sent: 0, retried: 0, dropped: 0, errors: [] });

/** Adds up the results of several destinations. */
export function mergeResults(results: ExportResult[]): ExportResult {
  const total = emptyResult();
  for (const result of results) {
    total.sent += result.sent;
    total.retried += result.retried;
    total.dropped += result.dropped;
    total.errors.push(...result.errors);
  }
  return total;
}
