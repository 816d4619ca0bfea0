// Type declarations for faulty-sink.mjs (a loopback server that misbehaves on purpose, for fault-injection tests).
import type { OtlpSpan } from "./otlp-schema.mjs";

/** How the sink answers one request. */
export interface Fault {
  /** Default 200. */
  status?: number;
  /** Default `{ "content-type": "application/json" }`. */
  headers?: Record<string, string>;
  /** Default `{}`; with `reset`, the part written before the connection drops (default `{"partial": `). */
  body?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Write the head and `body`, then destroy the socket before the response ends. */
  reset?: boolean;
  /** Write the head and the first half of `body` at once, the rest this many ms later. */
  stallMs?: number;
}

export interface SinkRequest {
  method: string;
  path: string;
  /** 0 for the first request on this path. */
  attempt: number;
  receivedAt: number;
  body: Buffer;
  fault: Fault;
  /** True once a full response was written. */
  answered: boolean;
}

export interface FaultySinkOptions {
  /** Request n (from 0) on a path gets `faults[n]`, the last one repeating; or a function of (attempt, path). */
  faults: Fault[] | ((attempt: number, path: string) => Fault);
  /** Suppress the per-request console line. Default true under vitest. */
  quiet?: boolean;
}

export interface FaultySink {
  url: string;
  port: number;
  requests: SinkRequest[];
  /** Requests answered in full with a 2xx. */
  delivered(): SinkRequest[];
  /** Log events of delivered phospho `/v2/log/…` requests. */
  phosphoLogs(): Record<string, any>[];
  /** Spans of delivered phospho `/v3/otl/…` requests. */
  phosphoSpans(): OtlpSpan[];
  /** Stops the sink; under vitest, then rejects if phospho's server model finds the delivered phospho requests would be refused or lost in part. */
  close(): Promise<void>;
}

export declare function startFaultySink(options: FaultySinkOptions): Promise<FaultySink>;

/** `http://127.0.0.1:<port>` where nothing listens: connecting is refused. */
export declare function closedPortUrl(): Promise<string>;
