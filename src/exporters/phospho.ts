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
      const sends: Promise<ExportResult>[] = [];
      if (batch.logs.length) {
        sends.push(postWithRetry({
          destination: "phospho logs",
          part: "logs",
          url: `${base}/v2/log/${project}`,
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify({ batched_log_events: batch.logs.map(toLogEvent) }),
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
          addUserKeys(attributes, "phospho.metadata.", log.metadata);
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
function toLogEvent(log: ExportedLog): Record<string, unknown> {
  const event: Record<string, unknown> = {
    task_id: log.task_id,
    session_id: log.session_id,
    input: log.input,
    output: log.output,
    metadata: log.metadata,
    client_created_at: Math.floor(log.createdAt / 1000),
  };
  if (isRawValue(log.raw_input)) event.raw_input = log.raw_input;
  if (isRawValue(log.raw_output)) event.raw_output = log.raw_output;
  for (const key of ["user_id", "version_id", "flag", "environment"] as const) if (log[key]) event[key] = log[key];
  return event;
}

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
