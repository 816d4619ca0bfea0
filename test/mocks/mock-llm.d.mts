// Type declarations for mock-llm.mjs (loopback OpenAI/Mistral mock server used by tests).
//
// Routes (POST unless said): OpenAI at /v1/* and /openai/v1/*: chat/completions, embeddings, responses, completions;
// Mistral at /mistral/v1/*: chat/completions, embeddings, fim/completions, agents/completions; GET models on both.
// Azure OpenAI at /openai/deployments/{deployment}/{chat/completions|embeddings|completions}?api-version=… (auth by
// `api-key` or Bearer; 404 without api-version) and /openai/responses.
// Request headers the mock obeys: `x-mock-reply` (the answer's text), `x-mock-status` (answer with that error status),
// `x-mock-fault`: `html` (a gateway's 502 HTML page), `bad-json` (a 200 whose body is cut JSON), `cut` (a stream whose
// connection drops halfway), `error-event` (a stream that reports a server error halfway, then ends).
import type { IncomingHttpHeaders } from "node:http";

export type MockLlmDialect = "openai" | "mistral";

export interface MockLlmRequest {
  /** null for paths outside /openai/v1, /v1 and /mistral/v1. */
  dialect: MockLlmDialect | null;
  method: string;
  /** Full path without query string, e.g. "/openai/v1/chat/completions". */
  path: string;
  /** Azure paths: the deployment named in the path. */
  deployment?: string;
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
