// Type declarations for otlp-schema.mjs (OTLP trace protobuf schema + decoder used by tests).
import type { Root } from "protobufjs";

/** Fully qualified name of the OTLP/HTTP trace export request message. */
export declare const EXPORT_TRACE_SERVICE_REQUEST: "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest";

/** An OTLP AnyValue unwrapped to JS (int64 as number, bytes as Uint8Array, empty value as null). */
export type OtlpValue = string | boolean | number | null | Uint8Array | OtlpValue[] | { [key: string]: OtlpValue };
export type OtlpAttributes = { [key: string]: OtlpValue };

export interface OtlpSpan {
  /** 32 lowercase hex chars for a valid span. */
  traceId: string;
  /** 16 lowercase hex chars for a valid span. */
  spanId: string;
  /** "" for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  /** SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** Decimal string (fixed64 nanoseconds). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttributes;
  /** code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  events: { name: string; timeUnixNano: string; attributes: OtlpAttributes }[];
  links: { traceId: string; spanId: string; attributes: OtlpAttributes }[];
  /** Attributes of the enclosing ResourceSpans' resource. */
  resource: OtlpAttributes;
  /** The enclosing ScopeSpans' instrumentation scope. */
  scope: { name: string; version: string };
}

/** protobufjs Root with the OTLP trace messages (camelCase field names). Cached. */
export declare function loadOtlpRoot(): Root;

/** Decodes an ExportTraceServiceRequest body into a flat list of spans. Throws on invalid bytes. */
export declare function decodeOtlpTraces(bytes: Uint8Array): OtlpSpan[];
