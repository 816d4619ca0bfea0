// Type declarations for mock-otlp.mjs (loopback OTLP/HTTP receiver used by tests).
import type { IncomingHttpHeaders } from "node:http";
import type { OtlpSpan } from "./otlp-schema.mjs";

export interface MockOtlpState {
  /** Spans from JSON and protobuf requests alike (JSON spans lack events, links and flags). */
  spans: OtlpSpan[];
  requests: { path: string; contentType: string; headers: IncomingHttpHeaders }[];
  /** Requests to /echo: what a downstream service received. */
  echoes: { headers: IncomingHttpHeaders }[];
}

export interface MockOtlp extends MockOtlpState {
  url: string;
  waitFor<T>(predicate: (state: MockOtlpState) => T, timeoutMs?: number): Promise<Exclude<T, false | null | undefined | 0 | "">>;
  close(): Promise<void>;
}

export declare function startMockOtlp(options?: { port?: number }): Promise<MockOtlp>;
