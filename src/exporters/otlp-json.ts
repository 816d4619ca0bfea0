// Encodes spans as OTLP/HTTP JSON, following the OTLP JSON mapping: camelCase fields, hex trace and span ids,
// enums as numbers, and every int64 (timestamps, integer attributes) as a decimal string.
import type { AttributeValue, Attributes } from "@opentelemetry/api";
import { INSTRUMENTATION_SCOPE, toNanos } from "./otlp-protobuf.js";
import type { SpanData } from "./spans.js";

type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } };

export function encodeTracesJson(resource: Attributes, spans: SpanData[]): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource) },
        scopeSpans: [{ scope: INSTRUMENTATION_SCOPE, spans: spans.map(toJsonSpan) }],
      },
    ],
  });
}

function toJsonSpan(span: SpanData) {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    ...(span.traceState ? { traceState: span.traceState } : {}),
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: toNanos(span.startTime).toString(),
    endTimeUnixNano: toNanos(span.endTime).toString(),
    attributes: keyValues(span.attributes),
    status: { code: span.status.code, ...(span.status.message ? { message: span.status.message } : {}) },
  };
}

function keyValues(attributes: Attributes) {
  return Object.entries(attributes)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => ({ key, value: anyValue(value!) }));
}

function anyValue(value: AttributeValue | null | undefined): AnyValue {
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (typeof value === "number") return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map((item) => anyValue(item)) } };
  return { stringValue: String(value) };
}
