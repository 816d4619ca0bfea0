// Tests for the OTLP protobuf encoder, decoded field by field with an independent protobufjs schema.
import type { Attributes } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { decodeOtlpTraces, EXPORT_TRACE_SERVICE_REQUEST, loadOtlpRoot, type OtlpSpan } from "../../test/mocks/otlp-schema.mjs";
import { encodeTraces, INSTRUMENTATION_SCOPE, toNanos } from "./otlp-protobuf.js";
import { hexToBytes, protoWriter } from "./protobuf-writer.js";
import type { SpanData } from "./spans.js";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID = "b7ad6b7169203331";
const PARENT_ID = "00f067aa0ba902b7";

function span(overrides: Partial<SpanData> = {}): SpanData {
  return {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    name: "chat gpt-4o-mini",
    kind: 3,
    startTime: 1764000000123.456,
    endTime: 1764000001500,
    attributes: {},
    status: { code: 0 },
    ...overrides,
  };
}

function roundTrip(spans: SpanData[], resource: Attributes = { "service.name": "svc" }): OtlpSpan[] {
  const bytes = encodeTraces(resource, spans);
  expect(bytes).toBeInstanceOf(Uint8Array);
  return decodeOtlpTraces(bytes);
}

const only = (data: SpanData, resource?: Attributes): OtlpSpan => {
  const decoded = roundTrip([data], resource);
  expect(decoded).toHaveLength(1);
  return decoded[0]!;
};

describe("span identity", () => {
  it("round-trips trace id, span id and parent span id as hex", () => {
    const decoded = only(span({ parentSpanId: PARENT_ID }));
    expect(decoded.traceId).toBe(TRACE_ID);
    expect(decoded.spanId).toBe(SPAN_ID);
    expect(decoded.parentSpanId).toBe(PARENT_ID);
  });

  it("leaves the parent span id empty for a root span", () => {
    expect(only(span()).parentSpanId).toBe("");
  });

  it("keeps the name, including non-ASCII, and the kind", () => {
    const client = only(span({ name: "chat mistral-small — résumé 🚀", kind: 3 }));
    expect(client.name).toBe("chat mistral-small — résumé 🚀");
    expect(client.kind).toBe(3);
    expect(only(span({ kind: 1 })).kind).toBe(1);
  });
});

describe("timestamps", () => {
  it("writes exact nanoseconds as fixed64", () => {
    const decoded = only(span({ startTime: 1764000000123.456, endTime: 1764000001500 }));
    expect(decoded.startTimeUnixNano).toBe("1764000000123456000");
    expect(decoded.endTimeUnixNano).toBe("1764000001500000000");
  });

  it("converts milliseconds to nanoseconds with toNanos", () => {
    expect(toNanos(1764000000123.456)).toBe(1764000000123456000n);
    expect(toNanos(0)).toBe(0n);
    expect(toNanos(1.5)).toBe(1_500_000n);
    expect(toNanos(1764000000000)).toBe(1764000000000000000n);
  });
});

describe("attributes", () => {
  it("encodes every attribute type", () => {
    const attributes = {
      "str": "hello",
      "str.unicode": "café 世界 😀",
      "str.empty": "",
      "bool.true": true,
      "bool.false": false,
      "int.zero": 0,
      "int.negative": -42,
      "int.large": 2 ** 40 + 7,
      "int.max": Number.MAX_SAFE_INTEGER,
      "int.min": Number.MIN_SAFE_INTEGER,
      "double": 0.7,
      "double.negative": -1.25,
      "array.strings": ["stop", "end", ""],
      "array.numbers": [1, 2.5, -3],
      "array.empty": [],
      "array.mixed": ["a", 1, true, 2.5] as unknown as string[],
    } satisfies Attributes;
    expect(only(span({ attributes })).attributes).toEqual(attributes);
  });

  it("writes integers as int_value and fractions as double_value", () => {
    const bytes = encodeTraces({}, [span({ attributes: { i: 3, neg: -3, big: 2 ** 33, d: 3.5 } })]);
    const type = loadOtlpRoot().lookupType(EXPORT_TRACE_SERVICE_REQUEST);
    const request = type.toObject(type.decode(bytes), { longs: String }) as any;
    const values = Object.fromEntries(
      request.resourceSpans[0].scopeSpans[0].spans[0].attributes.map((kv: any) => [kv.key, kv.value]),
    );
    expect(values).toEqual({
      i: { intValue: "3" },
      neg: { intValue: "-3" },
      big: { intValue: "8589934592" },
      d: { doubleValue: 3.5 },
    });
  });

  it("skips undefined and null attributes", () => {
    const attributes = { kept: "yes", gone: undefined, none: null } as unknown as Attributes;
    expect(only(span({ attributes })).attributes).toEqual({ kept: "yes" });
  });

  it("writes no attributes for an empty attributes object", () => {
    const decoded = only(span({ attributes: {} }), {});
    expect(decoded.attributes).toEqual({});
    expect(decoded.resource).toEqual({});
  });
});

describe("status", () => {
  it("writes an error code and its message", () => {
    expect(only(span({ status: { code: 2, message: "429 Too Many Requests — réessayez" } })).status).toEqual({
      code: 2,
      message: "429 Too Many Requests — réessayez",
    });
  });

  it("writes unset and ok", () => {
    expect(only(span({ status: { code: 0 } })).status).toEqual({ code: 0, message: "" });
    expect(only(span({ status: { code: 1 } })).status).toEqual({ code: 1, message: "" });
  });
});

describe("resource and scope", () => {
  it("writes the resource attributes and the edge-tracer instrumentation scope", () => {
    const resource = { "service.name": "my-worker", "service.version": "1.2.3", "deployment.environment.name": "prod", "telemetry.sdk.language": "webjs" };
    const decoded = only(span(), resource);
    expect(decoded.resource).toEqual(resource);
    expect(decoded.scope).toEqual({ name: "edge-tracer", version: INSTRUMENTATION_SCOPE.version });
  });

  it("encodes an empty batch as a valid request with no spans", () => {
    expect(roundTrip([])).toEqual([]);
  });
});

describe("large batches", () => {
  it("encodes 500 spans with long strings, in order, without losing bytes", () => {
    const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");
    const spans = Array.from({ length: 500 }, (_, i) =>
      span({
        traceId: hex(i + 1, 32),
        spanId: hex(i + 1, 16),
        parentSpanId: i ? hex(i, 16) : undefined,
        name: `step ${i}`,
        startTime: 1764000000000 + i,
        endTime: 1764000000000 + i + 0.5,
        attributes: { "input.value": `${i}:` + "Ωx😀".repeat(300 + i), index: i, ok: i % 2 === 0 },
        status: i % 7 ? { code: 0 } : { code: 2, message: `failed ${i}` },
      }),
    );
    const bytes = encodeTraces({ "service.name": "bulk" }, spans);
    expect(bytes.length).toBeGreaterThan(500 * 2_000);
    const decoded = decodeOtlpTraces(bytes);
    expect(decoded).toHaveLength(500);
    decoded.forEach((got, i) => {
      const want = spans[i]!;
      expect(got.traceId).toBe(want.traceId);
      expect(got.spanId).toBe(want.spanId);
      expect(got.parentSpanId).toBe(want.parentSpanId ?? "");
      expect(got.name).toBe(want.name);
      expect(got.startTimeUnixNano).toBe(`${1764000000000 + i}000000`);
      expect(got.endTimeUnixNano).toBe(`${1764000000000 + i}500000`);
      expect(got.attributes).toEqual(want.attributes);
      expect(got.status).toEqual({ code: want.status.code, message: want.status.message ?? "" });
      expect(got.resource).toEqual({ "service.name": "bulk" });
    });
  });
});

describe("protoWriter and hexToBytes", () => {
  it("converts hex ids to bytes, upper or lower case", () => {
    expect([...hexToBytes("00ff10Ab")]).toEqual([0x00, 0xff, 0x10, 0xab]);
    expect(hexToBytes(TRACE_ID)).toHaveLength(16);
    expect(hexToBytes("")).toHaveLength(0);
  });

  it("writes standard varint, signed int64, double, fixed64 and length-delimited bytes", () => {
    expect([...protoWriter().varint(1, 150).finish()]).toEqual([0x08, 0x96, 0x01]);
    expect([...protoWriter().varint(1, 0).finish()]).toEqual([0x08, 0x00]);
    expect([...protoWriter().int64(1, -1).finish()]).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect([...protoWriter().varint(1, 2 ** 35).finish()]).toEqual([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect([...protoWriter().string(2, "hé").finish()]).toEqual([0x12, 0x03, 0x68, 0xc3, 0xa9]);
    expect([...protoWriter().fixed64(1, 1n).finish()]).toEqual([0x09, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect([...protoWriter().double(1, 1).finish()]).toEqual([0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  });

  it("grows its buffer for a value far larger than its initial size", () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const written = protoWriter().varint(1, 1).bytes(2, big).double(3, 0.5).finish();
    expect(written.length).toBe(2 + 1 + 3 + big.length + 9);
    expect([...written.subarray(6, 6 + big.length)]).toEqual([...big]);
    expect(new DataView(written.buffer, written.length - 8).getFloat64(0, true)).toBe(0.5);
  });
});
