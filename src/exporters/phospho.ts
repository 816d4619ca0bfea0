// phospho: logs as JSON to /v2/log/{project}, steps as OTLP protobuf to /v3/otl/{project} (reference/phospho-wire-format.md).
import { mergeResults, type ExportBatch, type ExportedLog, type Exporter, type ExportResult } from "../model/exporter.js";
import { postWithRetry } from "./http.js";
import { encodeTraces } from "./otlp-protobuf.js";
import { addUserKeys, stepAttributes, unpackable } from "./phospho-attributes.js";
import { resourceAttributes, toSpan } from "./spans.js";

export interface PhosphoExporterOptions {
  apiKey: string;
  projectId: string;
  /** Default `https://api.phospho.ai`. */
  baseUrl?: string;
}

/**
 * Sends to phospho: one request for the logs, one for the steps, per flush.
 * `createTracer` uses it by default when the config has `apiKey` and `projectId`.
 *
 * @example createTracer({ exporters: [phosphoExporter({ apiKey, projectId }), consoleExporter()] })
 */
export function phosphoExporter(options: PhosphoExporterOptions): Exporter {
  const base = (options.baseUrl ?? "https://api.phospho.ai").replace(/\/+$/, "");
  const project = encodeURIComponent(options.projectId);
  const headers = { authorization: `Bearer ${options.apiKey}` };

  return {
    name: "phospho",
    async export(batch, options) {
      // Only the steps of a log: phospho shows steps under their task, and stores a span without one where nothing shows it.
      const steps = batch.logs.flatMap((log) => log.steps.map((step) => [step, log] as const));
      const metadata = new Map(batch.logs.map((log) => [log, logMetadata(log)]));
      const sends: Promise<ExportResult>[] = [];
      if (batch.logs.length) {
        sends.push(postWithRetry({
          destination: "phospho logs",
          part: "logs",
          url: `${base}/v2/log/${project}`,
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ batched_log_events: batch.logs.map((log) => toLogEvent(log, metadata.get(log)!)) }),
          count: batch.logs.length,
          refusals: refusedLogs,
        }, options));
      }
      if (steps.length) {
        const spans = steps.map(([step, log]) => {
          const span = toSpan(step, "both");
          // An LLM call keeps the GenAI attributes every span exporter writes; other steps are written as phospho's SDK writes them.
          const attributes = step.llm ? span.attributes : stepAttributes(step);
          attributes["phospho.task_id"] = log.task_id;
          attributes["phospho.session_id"] = log.session_id;
          addUserKeys(attributes, "phospho.metadata.", metadata.get(log));
          span.attributes = unpackable(attributes);
          if (step.kind === "manual") span.name = `phospho.${log.task_id}_intermediate_${step.index}`;
          return span;
        });
        sends.push(postWithRetry({
          destination: "phospho steps",
          part: "steps",
          url: `${base}/v3/otl/${project}`,
          headers: { ...headers, "content-type": "application/x-protobuf" },
          body: encodeTraces(resourceAttributes(batch), spans),
          count: steps.length,
        }, options));
      }
      return mergeResults(await Promise.all(sends));
    },
  };
}

/** The event shape phospho validates: `input` a string, `client_created_at` whole seconds, raw values as objects, strings or lists of either. */
function toLogEvent(log: ExportedLog, metadata: Record<string, unknown>): Record<string, unknown> {
  const event: Record<string, unknown> = {
    task_id: log.task_id,
    session_id: log.session_id,
    input: log.input,
    output: log.output,
    metadata,
    client_created_at: Math.floor(log.createdAt / 1000),
  };
  if (isRawValue(log.raw_input)) event.raw_input = log.raw_input;
  if (isRawValue(log.raw_output)) event.raw_output = log.raw_output;
  // `environment` also goes top level, where the server accepts it (and keeps it in its raw logs, not on the task).
  for (const key of ["user_id", "version_id", "flag", "environment"] as const) if (log[key]) event[key] = log[key];
  return event;
}

/** Text phospho's tokenizer refuses (tiktoken's special tokens): its token estimate raises and the whole request is lost. */
const SPECIAL_TOKEN = /<\|(endoftext|fim_prefix|fim_middle|fim_suffix|endofprompt)\|>/;

/**
 * The metadata phospho keeps on the task: the user's, plus (where the user did not set them) `environment`, which
 * the server drops at top level, and, as phospho's Python SDK sends them, the real `prompt_tokens`,
 * `completion_tokens` and `total_tokens` of the LLM calls the log claimed and the `model` of the last one.
 */
function logMetadata(log: ExportedLog): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  if (log.environment) extra.environment = log.environment;
  const calls = log.steps.filter((step) => step.llm);
  const usages = calls.map((step) => step.llm!.usage).filter((usage) => usage !== undefined);
  if (usages.length) {
    const sum = (count: (usage: (typeof usages)[number]) => number | undefined) => usages.reduce((total, usage) => total + (count(usage) ?? 0), 0);
    extra.prompt_tokens = sum((usage) => usage.inputTokens);
    extra.completion_tokens = sum((usage) => usage.outputTokens);
    extra.total_tokens = sum((usage) => usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0));
  }
  const last = calls.at(-1)?.llm;
  const model = last?.responseModel ?? last?.requestModel;
  if (model) extra.model = model;
  const metadata = { ...extra, ...log.metadata };
  // Without a count, the server estimates one from the text, and its tokenizer raises on some inputs, which loses every
  // log of the request: there, send an estimate of our own (about four characters a token) and say so.
  if (!("prompt_tokens" in metadata) && estimateRaises(log)) {
    metadata.prompt_tokens = Math.ceil(log.input.length / 4);
    const warnings = metadata["edge_tracer.warnings"];
    metadata["edge_tracer.warnings"] = [...(Array.isArray(warnings) ? warnings : []),
      "prompt_tokens: estimated from the input's length, as phospho's tokenizer cannot read this input"];
  }
  return metadata;
}

/** Whether the server's prompt token estimate (services/log.py) raises on this log: special tokens, or messages with values that are not text. */
function estimateRaises(log: ExportedLog): boolean {
  const raw = log.raw_input;
  if (Array.isArray(raw) && raw.length) {
    if (raw.every((item) => typeof item === "string")) return raw.some((item) => SPECIAL_TOKEN.test(item));
    if (raw.every(isObject)) return raw.some((message) => Object.values(message).some((value) => typeof value !== "string" || SPECIAL_TOKEN.test(value)));
  }
  return SPECIAL_TOKEN.test(log.input);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function isRawValue(value: unknown): boolean {
  if (typeof value === "string") return true;
  if (!value || typeof value !== "object") return false;
  if (!Array.isArray(value)) return true;
  return value.every((item) => typeof item === "string") || value.every((item) => item && typeof item === "object" && !Array.isArray(item));
}

/**
 * A 200 can still carry per-event refusals: `{ logged_events: [{ error_in_log }] }`. phospho stores an event
 * refused for its plan's quota as a task all the same, without analytics (`api/v2/endpoints/log.py`): `stored`.
 */
function refusedLogs(reply: string): Array<{ reason: string; stored: boolean }> {
  try {
    const events = JSON.parse(reply)?.logged_events;
    if (!Array.isArray(events)) return [];
    return events
      .filter((event) => event?.error_in_log)
      .map((event) => ({ reason: String(event.error_in_log), stored: /^Max usage quota reached\b/.test(String(event.error_in_log)) }));
  } catch {
    return [];
  }
}
