// OTLP trace protobuf schema (official field numbers) for tests: builds a protobufjs Root and decodes ExportTraceServiceRequest bodies into plain span objects.
import protobuf from "protobufjs";

// Transcribed from opentelemetry-proto (common/v1/common.proto, resource/v1/resource.proto,
// trace/v1/trace.proto, collector/trace/v1/trace_service.proto). Only messages are kept;
// the gRPC service definition and newer entity refs are left out.
const COMMON_PROTO = `
syntax = "proto3";
package opentelemetry.proto.common.v1;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
`;

const RESOURCE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.resource.v1;

message Resource {
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}
`;

const TRACE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.trace.v1;

message TracesData { repeated ResourceSpans resource_spans = 1; }

message ResourceSpans {
  reserved 1000;
  opentelemetry.proto.resource.v1.Resource resource = 1;
  repeated ScopeSpans scope_spans = 2;
  string schema_url = 3;
}

message ScopeSpans {
  opentelemetry.proto.common.v1.InstrumentationScope scope = 1;
  repeated Span spans = 2;
  string schema_url = 3;
}

message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;

  enum SpanKind {
    SPAN_KIND_UNSPECIFIED = 0;
    SPAN_KIND_INTERNAL = 1;
    SPAN_KIND_SERVER = 2;
    SPAN_KIND_CLIENT = 3;
    SPAN_KIND_PRODUCER = 4;
    SPAN_KIND_CONSUMER = 5;
  }
  SpanKind kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;

  message Event {
    fixed64 time_unix_nano = 1;
    string name = 2;
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 3;
    uint32 dropped_attributes_count = 4;
  }
  repeated Event events = 11;
  uint32 dropped_events_count = 12;

  message Link {
    bytes trace_id = 1;
    bytes span_id = 2;
    string trace_state = 3;
    repeated opentelemetry.proto.common.v1.KeyValue attributes = 4;
    uint32 dropped_attributes_count = 5;
    fixed32 flags = 6;
  }
  repeated Link links = 13;
  uint32 dropped_links_count = 14;
  Status status = 15;
}

message Status {
  reserved 1;
  string message = 2;
  enum StatusCode {
    STATUS_CODE_UNSET = 0;
    STATUS_CODE_OK = 1;
    STATUS_CODE_ERROR = 2;
  }
  StatusCode code = 3;
}

enum SpanFlags {
  SPAN_FLAGS_DO_NOT_USE = 0;
  SPAN_FLAGS_TRACE_FLAGS_MASK = 0x000000FF;
  SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK = 0x00000100;
  SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK = 0x00000200;
}
`;

const TRACE_SERVICE_PROTO = `
syntax = "proto3";
package opentelemetry.proto.collector.trace.v1;

message ExportTraceServiceRequest {
  repeated opentelemetry.proto.trace.v1.ResourceSpans resource_spans = 1;
}
message ExportTraceServiceResponse {
  ExportTracePartialSuccess partial_success = 1;
}
message ExportTracePartialSuccess {
  int64 rejected_spans = 1;
  string error_message = 2;
}
`;

export const EXPORT_TRACE_SERVICE_REQUEST =
  "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest";

/** @type {protobuf.Root | undefined} */
let cachedRoot;

/**
 * Root holding the OTLP trace messages. Field names are camelCase (protobufjs default),
 * e.g. `resourceSpans`, `traceId`, `startTimeUnixNano`, `stringValue`.
 * @returns {protobuf.Root}
 */
export function loadOtlpRoot() {
  if (cachedRoot) return cachedRoot;
  const root = new protobuf.Root();
  for (const text of [COMMON_PROTO, RESOURCE_PROTO, TRACE_PROTO, TRACE_SERVICE_PROTO]) {
    protobuf.parse(text, root);
  }
  root.resolveAll();
  cachedRoot = root;
  return root;
}

/**
 * @typedef {any} OtlpValue string | boolean | number | null | Uint8Array | OtlpValue[] | { [key: string]: OtlpValue }
 * @typedef {{ [key: string]: OtlpValue }} OtlpAttributes
 * @typedef {{
 *   traceId: string, spanId: string, parentSpanId: string, traceState: string, flags: number,
 *   name: string, kind: number, startTimeUnixNano: string, endTimeUnixNano: string,
 *   attributes: OtlpAttributes, status: { code: number, message: string },
 *   events: { name: string, timeUnixNano: string, attributes: OtlpAttributes }[],
 *   links: { traceId: string, spanId: string, attributes: OtlpAttributes }[],
 *   resource: OtlpAttributes, scope: { name: string, version: string }
 * }} OtlpSpan
 */

/** @param {unknown} bytes */
const hex = (bytes) => (bytes && /** @type {any} */ (bytes).length ? Buffer.from(/** @type {any} */ (bytes)).toString("hex") : "");

/**
 * Unwraps an AnyValue (as produced by toObject with longs: String, bytes: Array) to plain JS.
 * int64 becomes a Number; bytes become a Uint8Array; an empty AnyValue becomes null.
 * @param {any} v
 * @returns {OtlpValue}
 */
function unwrapAnyValue(v) {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(unwrapAnyValue);
  if (v.kvlistValue !== undefined) return attributesToObject(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return Uint8Array.from(v.bytesValue);
  return null;
}

/**
 * @param {any[] | undefined} kvs
 * @returns {OtlpAttributes}
 */
function attributesToObject(kvs) {
  /** @type {OtlpAttributes} */
  const out = {};
  for (const kv of kvs ?? []) out[kv.key ?? ""] = unwrapAnyValue(kv.value);
  return out;
}

/**
 * Decodes a binary OTLP/HTTP trace export body into a flat list of plain span objects.
 * Throws if the bytes are not a valid ExportTraceServiceRequest.
 * @param {Uint8Array} bytes
 * @returns {OtlpSpan[]}
 */
export function decodeOtlpTraces(bytes) {
  const type = loadOtlpRoot().lookupType(EXPORT_TRACE_SERVICE_REQUEST);
  const message = type.decode(bytes);
  const request = /** @type {any} */ (
    type.toObject(message, { longs: String, enums: Number, bytes: Array, arrays: true })
  );
  /** @type {OtlpSpan[]} */
  const spans = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributesToObject(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? "", version: ss.scope?.version ?? "" };
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          traceState: s.traceState ?? "",
          flags: s.flags ?? 0,
          name: s.name ?? "",
          kind: s.kind ?? 0,
          startTimeUnixNano: s.startTimeUnixNano ?? "0",
          endTimeUnixNano: s.endTimeUnixNano ?? "0",
          attributes: attributesToObject(s.attributes),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
          events: (s.events ?? []).map((/** @type {any} */ e) => ({
            name: e.name ?? "",
            timeUnixNano: e.timeUnixNano ?? "0",
            attributes: attributesToObject(e.attributes),
          })),
          links: (s.links ?? []).map((/** @type {any} */ l) => ({
            traceId: hex(l.traceId),
            spanId: hex(l.spanId),
            attributes: attributesToObject(l.attributes),
          })),
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}
