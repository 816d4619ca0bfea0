// Encodes spans as an OTLP ExportTraceServiceRequest in protobuf, with field numbers from
// opentelemetry/proto/{collector/trace/v1,trace/v1,common/v1,resource/v1}.
import type { AttributeValue, Attributes } from "@opentelemetry/api";
import { hexToBytes, protoWriter, type ProtoWriter } from "./protobuf-writer.js";
import type { SpanData } from "./spans.js";

export const INSTRUMENTATION_SCOPE = { name: "edge-tracer", version: "0.1.0" };

export function encodeTraces(resource: Attributes, spans: SpanData[]): Uint8Array<ArrayBuffer> {
  return protoWriter()
    .message(1 /* resource_spans */, (resourceSpans) => {
      resourceSpans.message(1 /* resource */, (r) => writeAttributes(r, 1, resource));
      resourceSpans.message(2 /* scope_spans */, (scopeSpans) => {
        scopeSpans.message(1 /* scope */, (scope) => scope.string(1, INSTRUMENTATION_SCOPE.name).string(2, INSTRUMENTATION_SCOPE.version));
        for (const span of spans) scopeSpans.message(2 /* spans */, (w) => writeSpan(w, span));
      });
    })
    .finish();
}

function writeSpan(w: ProtoWriter, span: SpanData): void {
  w.bytes(1, hexToBytes(span.traceId)).bytes(2, hexToBytes(span.spanId));
  if (span.traceState) w.string(3, span.traceState);
  if (span.parentSpanId) w.bytes(4, hexToBytes(span.parentSpanId));
  w.string(5, span.name).varint(6, span.kind);
  w.fixed64(7, toNanos(span.startTime)).fixed64(8, toNanos(span.endTime));
  writeAttributes(w, 9, span.attributes);
  w.message(15 /* status */, (status) => {
    if (span.status.message) status.string(2, span.status.message);
    if (span.status.code) status.varint(3, span.status.code);
  });
}

function writeAttributes(w: ProtoWriter, field: number, attributes: Attributes): void {
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    w.message(field, (kv) => kv.string(1, key).message(2, (any) => writeAnyValue(any, value)));
  }
}

function writeAnyValue(w: ProtoWriter, value: AttributeValue | null | undefined): void {
  if (typeof value === "string") w.string(1, value);
  else if (typeof value === "boolean") w.varint(2, value ? 1 : 0);
  else if (typeof value === "number") Number.isSafeInteger(value) ? w.int64(3, value) : w.double(4, value);
  else if (Array.isArray(value)) w.message(5 /* array_value */, (array) => {
    for (const item of value) array.message(1, (any) => writeAnyValue(any, item));
  });
}

/** Milliseconds (fractional) to integer nanoseconds; a JS number cannot hold epoch nanoseconds exactly. */
export function toNanos(ms: number): bigint {
  return BigInt(Math.round(ms * 1000)) * 1000n;
}
