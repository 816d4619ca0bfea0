// Type declarations for mock-phospho.mjs (strict loopback mock of phospho's ingestion API used by tests).
import type { IncomingHttpHeaders } from "node:http";
import type { OtlpSpan } from "./otlp-schema.mjs";
import type { PhosphoSummary } from "../phospho-server/model.js";

export type { OtlpSpan };

export interface PhosphoRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Date.now() when the request arrived. */
  receivedAt: number;
  /** Date.now() when the response was fully sent; null while pending. */
  finishedAt: number | null;
  /** Response status once sent; null while pending. */
  status: number | null;
  /** The raw request body, every byte as sent. */
  body: Uint8Array;
}

export interface PhosphoState {
  /** Valid log events exactly as sent (from /v2/log). */
  logs: Record<string, any>[];
  /** Decoded spans (from /v3/otl); invalid ones are included too and reported in errors. */
  spans: OtlpSpan[];
  requests: PhosphoRequest[];
  /** One descriptive message per rejected request, invalid event or invalid span. */
  errors: string[];
  /**
   * What phospho's real server would refuse or lose, per test/phospho-server/model.ts, one line per problem:
   * `POST /v2/log/proj: [v2.strict] event 1 refused: …`. Filled for every authorized request to a known route and project,
   * whatever this mock answers (so also for what it refuses itself); empty when the model is unavailable (plain node).
   */
  serverModelProblems: string[];
}

export interface MockPhosphoOptions {
  apiKey: string;
  projectId: string;
  /** Default 0 (random free port). Always listens on 127.0.0.1. */
  port?: number;
  /** Delay before replying (after the body is read, before it is validated/recorded). Default 0. */
  delayMs?: number;
  /** Reply to every authenticated request with this status and record nothing. */
  status?: number;
  /**
   * Fail the first `count` authenticated requests (any route) with `status` (default 503) and record nothing
   * for them, then behave normally. `retryAfter` adds a Retry-After header to the failures.
   */
  failFirst?: { count: number; status?: number; retryAfter?: string };
  /** Suppress the per-request console line. Default true under vitest. */
  quiet?: boolean;
  /**
   * `"strict"` (default): `close()` rejects when the server model found a problem no test took with
   * `takeServerModelProblems()` (an event refused, a span lost, a failing Steps view…). `"record"`: only records them.
   */
  serverModel?: "strict" | "record";
}

export interface MockPhospho extends PhosphoState {
  url: string;
  port: number;
  /** "on" under vitest; "unavailable: …" where the TypeScript model cannot be loaded (plain node). */
  serverModel: string;
  /** The model's summary of every request so far (counts, failing task views, cross-request problems); null when unavailable. */
  serverModelSummary(): PhosphoSummary | null;
  /** The server model's problems not taken yet, now taken: a test that sends a bad payload on purpose asserts them. */
  takeServerModelProblems(): string[];
  /** Polls every 20 ms until predicate(state) is truthy and resolves with that value; rejects after timeoutMs (default 10000). */
  waitFor<T>(predicate: (state: PhosphoState) => T, timeoutMs?: number): Promise<Exclude<T, false | null | undefined | 0 | "">>;
  /** Stops the server; in strict mode, then rejects listing the model's problems no test took (with the test behind each). */
  close(): Promise<void>;
}

export declare function startMockPhospho(options: MockPhosphoOptions): Promise<MockPhospho>;

/** Validation problems of one /v2/log event (empty when valid). */
export declare function logEventProblems(event: unknown): string[];

/** Validation problems of one decoded span (empty when valid). */
export declare function spanProblems(span: OtlpSpan): string[];
