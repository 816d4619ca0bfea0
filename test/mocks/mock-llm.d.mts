// Type declarations for mock-llm.mjs (loopback OpenAI/Mistral mock server used by tests).
import type { IncomingHttpHeaders } from "node:http";

export type MockLlmDialect = "openai" | "mistral";

export interface MockLlmRequest {
  /** null for paths outside /openai/v1, /v1 and /mistral/v1. */
  dialect: MockLlmDialect | null;
  method: string;
  /** Full path without query string, e.g. "/openai/v1/chat/completions". */
  path: string;
  /** As received (lowercased names). */
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw string if it was not JSON; null if empty. */
  body: any;
}

export interface MockLlmOptions {
  /** Default 0 (random free port). Always listens on 127.0.0.1. */
  port?: number;
  /** Delay before answering each request, in ms. Default 0. */
  delayMs?: number | ((request: MockLlmRequest) => number);
  /** Delay between SSE chunks, in ms. Default 0. */
  chunkDelayMs?: number;
  /** Suppress the per-request console line. Default true under vitest, false otherwise. */
  quiet?: boolean;
}

export interface MockLlm {
  /** "http://127.0.0.1:PORT"; use `${url}/openai/v1` or `${url}/mistral` as SDK base URLs. */
  url: string;
  port: number;
  /** Every request received, in arrival order. */
  requests: MockLlmRequest[];
  close(): Promise<void>;
}

export declare function startMockLlm(options?: MockLlmOptions): Promise<MockLlm>;
