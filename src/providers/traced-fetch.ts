// The traced fetch: records OpenAI and Mistral chat completions as steps, and passes everything else through.
// The caller always gets what it would get without us: the same Response, or one whose body is the same bytes.
import { now } from "../core/clock.js";
import type { Collector } from "../core/collector.js";
import type { Scope } from "../core/scope.js";
import type { LlmCall, Step, StepStatus } from "../core/step.js";
import { guard } from "../core/warn.js";
import { readChatChunk, readChatRequest, readChatResponse, readErrorBody } from "./chat-completions.js";
import { isChatCompletions, matchProvider } from "./detect.js";
import { createSseParser } from "./sse.js";
import { tapStream, type StreamEnd } from "./stream-tap.js";

/** Where a call is recorded: resolved at call time, so one fetch can serve a whole invocation. */
export interface FetchTarget {
  collector: Collector;
  scope: Scope;
}

/** A Request by its shape, not `instanceof`: realms differ (EdgeVM's `clone()` returns a non-instance). */
interface RequestLike {
  url: string;
  method: string;
  clone(): { text(): Promise<string> };
}
const isRequestLike = (value: unknown): value is RequestLike =>
  typeof value === "object" && value !== null && typeof (value as RequestLike).url === "string" && typeof (value as RequestLike).clone === "function";

/** Builds a fetch that records into `target()`; when it returns undefined, calls pass straight through. */
export function createTracedFetch(target: () => FetchTarget | undefined): typeof fetch {
  return async function tracedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const call = guard("fetch", () => startCall(target(), input, init), undefined);
    if (!call) return globalThis.fetch(input, init);
    let response: Response;
    try {
      response = await globalThis.fetch(input, init);
    } catch (error) {
      guard("fetch", () => call.end(isAbort(error) ? "cancelled" : "error", error), undefined);
      throw error;
    }
    return guard("fetch", () => call.finish(response), response);
  };
}

function startCall(target: FetchTarget | undefined, input: RequestInfo | URL, init: RequestInit | undefined) {
  if (!target) return undefined;
  const request = isRequestLike(input) ? input : undefined;
  const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
  if (method !== "POST") return undefined;
  const url = new URL(request ? request.url : String(input));
  const match = matchProvider(url, target.collector.config.providers);
  if (!match || !isChatCompletions(match)) return undefined;
  const { collector } = target;
  const step = collector.startStep(target.scope, "llm", "chat");
  if (!step) return undefined;
  const llm: LlmCall = { provider: match.provider, operation: "chat", serverAddress: match.host, serverPort: match.port, params: {}, streamed: false, choices: [] };
  step.llm = llm;

  // The body is read from a copy, never from what the caller sends. Headers are never read.
  const body = init?.body !== undefined && init.body !== null ? bodyText(init.body) : request?.clone().text();
  const requestRead = Promise.resolve(body).then(
    (text) => readRequest(step, llm, text),
    () => void (llm.parseProblem = "the request body could not be read"),
  );
  const end = (status: Exclude<StepStatus, "open">, error?: unknown) => void requestRead.then(() => collector.endStep(step, status, error));

  return {
    end,
    finish(response: Response): Response {
      llm.httpStatus = response.status;
      if (!response.ok) {
        readCopy(response, (text) => {
          step.error = readErrorBody(text) ?? { type: String(response.status), message: response.statusText };
          end("error");
        }, end);
        return response;
      }
      if (response.body && (response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        llm.streamed = true;
        return traceStream(response, step, llm, end);
      }
      readCopy(response, (text) => {
        try {
          readChatResponse(llm, JSON.parse(text));
        } catch {
          llm.parseProblem = `the response is not JSON: ${text.slice(0, 200)}`;
        }
        end("ok");
      }, end);
      return response;
    },
  };
}

function readRequest(step: Step, llm: LlmCall, text: string | undefined): void {
  if (text === undefined) {
    llm.parseProblem = "the request body is a stream or form, not recorded";
    return;
  }
  try {
    readChatRequest(llm, JSON.parse(text));
    if (llm.requestModel) step.name = `chat ${llm.requestModel}`;
  } catch {
    llm.parseProblem = "the request body is not JSON";
  }
}

/** Parses a copy of a non-streamed body off the critical path: the caller already has the response. */
function readCopy(response: Response, onText: (text: string) => void, end: (status: "error", error: unknown) => void): void {
  response.clone().text().then((text) => guard("fetch", () => onText(text), undefined), (error) => end("error", error));
}

function traceStream(response: Response, step: Step, llm: LlmCall, end: (status: Exclude<StepStatus, "open">, error?: unknown) => void): Response {
  let sawDone = false;
  const parser = createSseParser((data) => {
    if (data === "[DONE]") return void (sawDone = true);
    llm.chunks = (llm.chunks ?? 0) + 1;
    let chunk: Record<string, any>;
    try {
      chunk = JSON.parse(data);
    } catch {
      llm.parseProblem ??= `a streamed event is not JSON: ${data.slice(0, 200)}`;
      return;
    }
    if (readChatChunk(llm, chunk) && step.firstTokenTime === undefined) step.firstTokenTime = now();
  });
  const onChunk = (bytes: Uint8Array) => {
    try {
      parser.feed(bytes);
    } catch (error) {
      llm.parseProblem ??= `the stream could not be parsed: ${String(error)}`;
    }
  };
  const onEnd = (how: StreamEnd, reason?: unknown) =>
    guard("stream", () => {
      parser.end();
      // SDKs (Mistral's) cancel the stream once they read [DONE]: that is a normal end.
      if (how === "done" || sawDone) end("ok");
      else end(how === "cancelled" ? "cancelled" : "error", reason);
    }, undefined);
  const traced = new Response(tapStream(response.body!, onChunk, onEnd), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // A new Response loses these; keep them so the caller sees what it would have seen.
  Object.defineProperties(traced, { url: { value: response.url }, redirected: { value: response.redirected } });
  return traced;
}

function bodyText(body: BodyInit): string | Promise<string> | undefined {
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new TextDecoder().decode(body);
  if (typeof (body as Blob).text === "function" && typeof (body as Blob).size === "number") return (body as Blob).text();
  return undefined;
}

const isAbort = (error: unknown) => (error as { name?: string } | null)?.name === "AbortError";
