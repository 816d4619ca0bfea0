// An invocation as OpenTelemetry spans: the root (SERVER), its blocks and logs (INTERNAL), LLM calls (CLIENT)
// and custom steps (INTERNAL), with GenAI semantic-convention attributes. Shared by every span exporter.
import type { Attributes, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ExportBatch, ExportedLog, ExportedScope, ExportedStep } from "../model/exporter.js";
import { genAiAttributes, type Semconv } from "./genai-attributes.js";
import { detectRuntime, type RuntimeName } from "../util/detect-runtime.js";

const CLOUDS: Partial<Record<RuntimeName, Attributes>> = {
  workerd: { "cloud.provider": "cloudflare", "cloud.platform": "cloudflare.workers" },
  "edge-light": { "cloud.provider": "vercel", "cloud.platform": "vercel.edge_functions" },
};

export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: SpanKind;
  /** Milliseconds since the epoch. */
  startTime: number;
  endTime: number;
  attributes: Attributes;
  status: { code: SpanStatusCode; message?: string };
}

const INTERNAL: SpanKind = 1;
const SERVER: SpanKind = 2;
const CLIENT: SpanKind = 3;
const UNSET: SpanStatusCode = 0;
const ERROR: SpanStatusCode = 2;

export function toSpan(step: ExportedStep, semconv: Semconv = "current"): SpanData {
  const attributes: Attributes = { "edge_tracer.step.kind": step.kind };
  if (step.status !== "ok") attributes["edge_tracer.step.status"] = step.status;
  const llm = step.llm;
  if (llm) Object.assign(attributes, genAiAttributes(step, semconv));
  else {
    if (step.inputText !== undefined) attributes["input.value"] = step.inputText;
    if (step.outputText !== undefined) attributes["output.value"] = step.outputText;
    // A custom step's metadata (an OpenTelemetry span's attributes) is kept as attributes.
    addAttributes(attributes, "", step.metadata, isAttributeValue);
  }
  if (step.error) attributes["error.type"] ??= step.error.type;
  return {
    traceId: step.traceId,
    spanId: step.spanId,
    parentSpanId: step.parentSpanId,
    // "{operation} {model}" per the GenAI conventions; a generic provider call is named by its method and path.
    name: llm && llm.operation !== "generic" ? `${llm.operation} ${llm.requestModel ?? llm.responseModel ?? ""}`.trim() : step.name,
    kind: llm ? CLIENT : INTERNAL,
    startTime: step.startTime,
    endTime: step.endTime,
    attributes,
    status: step.status === "error" ? { code: ERROR, message: step.error?.message } : { code: UNSET },
  };
}

/** The root span (SERVER, with the invocation's totals) or a block's span (INTERNAL). */
export function scopeToSpan(scope: ExportedScope): SpanData {
  return {
    traceId: scope.traceId,
    spanId: scope.spanId,
    parentSpanId: scope.parentSpanId,
    traceState: scope.traceState,
    name: scope.name,
    kind: scope.isRoot ? SERVER : INTERNAL,
    startTime: scope.startTime,
    endTime: scope.endTime,
    attributes: { ...scope.attributes },
    status: { code: UNSET },
  };
}

/** A log as a point-in-time span under its block, carrying its ids, input and output. */
export function logToSpan(log: ExportedLog): SpanData {
  const attributes: Attributes = { "phospho.task_id": log.task_id, "phospho.session_id": log.session_id, "input.value": log.input };
  if (log.output !== null) attributes["output.value"] = log.output;
  if (log.flag) attributes["phospho.flag"] = log.flag;
  if (log.user_id) attributes["user.id"] = log.user_id;
  addAttributes(attributes, "phospho.metadata.", log.metadata);
  return {
    traceId: log.traceId,
    spanId: log.spanId,
    parentSpanId: log.parentSpanId,
    name: "log",
    kind: INTERNAL,
    startTime: log.createdAt,
    endTime: log.createdAt,
    attributes,
    status: { code: log.flag === "failure" ? ERROR : UNSET },
  };
}

/** Every span of a batch: roots and blocks, logs, then steps. */
export function batchToSpans(batch: ExportBatch, semconv?: Semconv): SpanData[] {
  return [
    ...batch.scopes.map(scopeToSpan),
    ...batch.logs.map(logToSpan),
    ...batch.logs.flatMap((log) => log.steps).concat(batch.looseSteps).map((step) => toSpan(step, semconv)),
  ];
}

/** Resource attributes every span exporter sends. */
export function resourceAttributes(batch: ExportBatch): Attributes {
  const attributes: Attributes = {
    "service.name": batch.resource.serviceName,
    "telemetry.sdk.name": "edge-tracer",
    "telemetry.sdk.language": "webjs",
    "telemetry.sdk.version": "0.1.0",
  };
  if (batch.resource.versionId) attributes["service.version"] = batch.resource.versionId;
  if (batch.resource.environment) attributes["deployment.environment.name"] = batch.resource.environment;
  // What the runtime tells us about where we run (no account or region is observable from inside).
  const runtime = detectRuntime();
  if (runtime !== "unknown") attributes["process.runtime.name"] = runtime;
  return Object.assign(attributes, CLOUDS[runtime]); // nothing to add for other runtimes
}

/** A value an attribute can hold as it is: a string, a boolean or a finite number. */
const isScalar = (value: unknown): value is string | number | boolean =>
  typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));

const isAttributeValue = (value: unknown): value is string | number | boolean | string[] =>
  isScalar(value) || (Array.isArray(value) && value.every((item) => typeof item === "string"));

/** Adds the values of `record` that `accepts` takes as `{prefix}{key}` attributes, never replacing one already set. */
export function addAttributes(attributes: Attributes, prefix: string, record: Record<string, unknown> = {}, accepts: (value: unknown) => boolean = isScalar): void {
  for (const [key, value] of Object.entries(record)) if (accepts(value)) attributes[prefix + key] ??= value as Attributes[string];
}
