// Our traceparent reading agrees with @opentelemetry/core's W3CTraceContextPropagator.
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { expect, it } from "vitest";
import { formatTraceparent, parseTraceparent } from "./traceparent.js";

const samples = [
  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
  " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
  "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future",
  "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
  "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
  "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
  "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
  "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
  "garbage",
  "",
];

it.each(samples)("reads %j as the OpenTelemetry propagator does", (header) => {
  const propagator = new W3CTraceContextPropagator();
  const extracted = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, { traceparent: header }, { get: (carrier, key) => carrier[key as "traceparent"], keys: () => ["traceparent"] }));
  const ours = parseTraceparent(header);
  expect(ours && { traceId: ours.traceId, spanId: ours.spanId, traceFlags: ours.traceFlags }).toEqual(
    extracted && { traceId: extracted.traceId, spanId: extracted.spanId, traceFlags: extracted.traceFlags },
  );
});

it("writes what the propagator reads back", () => {
  const header = formatTraceparent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
  expect(parseTraceparent(header)).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1, traceState: undefined });
});
