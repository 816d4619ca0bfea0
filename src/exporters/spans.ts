// Steps as OpenTelemetry spans with GenAI semantic-convention attributes, shared by every span exporter.
import type { Attributes, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { ExportBatch, ExportedStep } from "./exporter.js";
import { genAiAttributes } from "./genai-attributes.js";

export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  /** Milliseconds since the epoch. */
  startTime: number;
  endTime: number;
  attributes: Attributes;
  status: { code: SpanStatusCode; message?: string };
}

const INTERNAL: SpanKind = 1;
const CLIENT: SpanKind = 3;
const UNSET: SpanStatusCode = 0;
const ERROR: SpanStatusCode = 2;

export function toSpan(step: ExportedStep, batch: ExportBatch): SpanData {
  const attributes: Attributes = { "edge_tracer.step.kind": step.kind };
  if (step.status !== "ok") attributes["edge_tracer.step.status"] = step.status;
  if (step.llm) Object.assign(attributes, genAiAttributes(step, { semconv: "both", maxFieldBytes: batch.maxFieldBytes }));
  else {
    if (step.inputText !== undefined) attributes["input.value"] = step.inputText;
    if (step.outputText !== undefined) attributes["output.value"] = step.outputText;
  }
  if (step.error) attributes["error.type"] ??= step.error.type;
  return {
    traceId: step.traceId,
    spanId: step.spanId,
    parentSpanId: step.parentSpanId,
    name: step.llm ? `${step.llm.operation} ${step.llm.requestModel ?? step.llm.responseModel ?? ""}`.trim() : step.name,
    kind: step.llm ? CLIENT : INTERNAL,
    startTime: step.startTime,
    endTime: step.endTime,
    attributes,
    status: step.status === "error" ? { code: ERROR, message: step.error?.message } : { code: UNSET },
  };
}

/** Resource attributes every span exporter sends. */
export function resourceAttributes(batch: ExportBatch): Attributes {
  const attributes: Attributes = {
    "service.name": batch.resource.serviceName,
    "telemetry.sdk.name": "edge-tracer",
    "telemetry.sdk.language": "webjs",
  };
  if (batch.resource.versionId) attributes["service.version"] = batch.resource.versionId;
  if (batch.resource.environment) attributes["deployment.environment.name"] = batch.resource.environment;
  return attributes;
}
