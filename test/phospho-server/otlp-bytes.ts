// Builds OTLP protobuf bodies for the model's tests with protobufjs, attributes in the exact order given.
import { EXPORT_TRACE_SERVICE_REQUEST, loadOtlpRoot } from "../mocks/otlp-schema.mjs";

/** An attribute value as protobufjs takes it: `{ stringValue: "x" }`, `{ intValue: 3 }`, `{ arrayValue: { values: […] } }`… */
export type AnyValue = Record<string, unknown>;
/** A plain value written as the tracer would: strings, booleans, integers as intValue, other numbers as doubleValue. */
export type Plain = string | boolean | number | AnyValue;

export interface TestSpan {
  name: string;
  /** Unix milliseconds; default 1_700_000_000_000 plus the span's position. */
  startMs?: number;
  /** [key, value] pairs, in wire order. A value of `undefined` writes a KeyValue without any value. */
  attributes: [string, Plain | undefined][];
}

const anyValue = (v: Plain): AnyValue => {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") return Number.isSafeInteger(v) ? { intValue: v } : { doubleValue: v };
  return v;
};

/** One ExportTraceServiceRequest (same bytes as a TracesData) holding `spans` in one resource and scope. */
export function otlpBytes(spans: TestSpan[]): Uint8Array<ArrayBuffer> {
  const type = loadOtlpRoot().lookupType(EXPORT_TRACE_SERVICE_REQUEST);
  const message = type.fromObject({
    resourceSpans: [{
      resource: { attributes: [{ key: "service.name", value: { stringValue: "worker" } }] },
      scopeSpans: [{
        scope: { name: "edge-tracer", version: "0.1.0" },
        spans: spans.map((span, i) => {
          const start = BigInt(span.startMs ?? 1_700_000_000_000 + i) * 1_000_000n;
          return {
            traceId: Buffer.from("0af7651916cd43dd8448eb211c80319c", "hex"),
            spanId: Buffer.from(`b7ad6b71692033${String(i).padStart(2, "0")}`, "hex"),
            name: span.name,
            kind: 3,
            startTimeUnixNano: String(start),
            endTimeUnixNano: String(start + 1_000_000n),
            attributes: span.attributes.map(([key, value]) => (value === undefined ? { key } : { key, value: anyValue(value) })),
          };
        }),
      }],
    }],
  });
  return new Uint8Array(type.encode(message).finish());
}

/** The attributes that link a step to its log, as our exporter writes them. */
export const linked = (taskId: string, sessionId = "session_1"): [string, Plain][] => [
  ["phospho.task_id", taskId],
  ["phospho.session_id", sessionId],
];
