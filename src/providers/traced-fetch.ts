// The traced fetch: records calls to OpenAI, Azure OpenAI, Mistral and declared compatible endpoints as steps,
// and passes everything else through. The caller always gets what it would get without us: the same Response,
// or one whose body is the same bytes; the same errors, unchanged.
import type { Recording } from "../record/collector.js";
import type { LlmCall, Step, StepStatus } from "../model/records.js";
import { guard, warnOnce } from "../util/warn.js";
import { chatDialect } from "./chat-completions.js";
import { fimDialect, legacyCompletionsDialect } from "./completions.js";
import { endpointOf, matchProvider, undeclaredHint, type Endpoint } from "./detect.js";
import type { Dialect } from "./dialect.js";
import { embeddingsDialect } from "./embeddings.js";
import { readErrorBody } from "./errors.js";
import { isRequestLike, type RequestLike } from "../util/request-like.js";
import { withTraceparent } from "./propagate.js";
import { bodyText, replaceBody, withStreamUsage } from "./request-body.js";
import { responsesDialect } from "./responses.js";
import { isAbort, traceStream } from "./stream-step.js";


const DIALECTS: Record<Exclude<Endpoint, "generic">, Dialect> = {
  chat: chatDialect,
  agents: chatDialect,
  responses: responsesDialect,
  completions: legacyCompletionsDialect,
  fim: fimDialect,
  embeddings: embeddingsDialect,
};

type FetchArgs = [RequestInfo | URL, RequestInit | undefined];

/**
 * Builds a fetch that records into `target()`, looked up once per call (so one fetch can serve a whole
 * invocation); when it returns undefined, calls pass straight through.
 */
export function createTracedFetch(target: () => Recording | undefined): typeof fetch {
  return async function tracedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const where = guard("fetch", target, undefined);
    if (where) [input, init] = guard("fetch", () => withTraceparent(where, input, init), [input, init] as FetchArgs);
    const call = guard("fetch", () => startCall(where, input, init), undefined);
    if (!call) return globalThis.fetch(input, init);
    const [sendInput, sendInit] = call.injectUsage ? await call.injectUsage([input, init]) : [input, init];
    let response: Response;
    try {
      response = await globalThis.fetch(sendInput, sendInit);
    } catch (error) {
      guard("fetch", () => call.end(isAbort(error) ? "cancelled" : "error", error), undefined);
      throw error;
    }
    return guard("fetch", () => call.finish(response), response);
  };
}

interface Call {
  end(status: Exclude<StepStatus, "open">, error?: unknown): void;
  finish(response: Response): Response;
  /** Set only with `injectStreamUsage`, for OpenAI chat: the arguments to send instead. Never rejects. */
  injectUsage?: (args: FetchArgs) => Promise<FetchArgs>;
}

function startCall(target: Recording | undefined, input: RequestInfo | URL, init: RequestInit | undefined): Call | undefined {
  if (!target) return undefined;
  const request = isRequestLike(input) ? input : undefined;
  const url = parseUrl(request ? request.url : String(input));
  if (!url) return undefined;
  const { collector } = target;
  const match = matchProvider(url, collector.config.providers);
  if (!match) {
    const hint = undeclaredHint(url, init?.method ?? request?.method);
    if (hint) warnOnce("undeclared-provider", hint);
    return undefined;
  }
  const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
  const endpoint = endpointOf(method, match.path);
  const dialect = endpoint === "generic" ? undefined : DIALECTS[endpoint];
  const operation = dialect?.operation ?? "generic";
  const step = collector.startStep(target.scope, "llm", operation === "generic" ? `${method} ${match.path}` : operation);
  if (!step) return undefined;
  const llm: LlmCall = {
    provider: match.provider, operation, method, path: match.path, serverAddress: match.host, serverPort: match.port,
    params: {}, streamed: false, choices: [],
  };
  if (match.deployment) llm.requestModel = match.deployment;
  step.llm = llm;
  const maxBytes = collector.config.maxFieldBytes;
  const signal = init?.signal ?? request?.signal ?? undefined;
  // A step ends once its request is read, so an early failure still records what was asked.
  let requestRead = Promise.resolve();
  const end = (status: Exclude<StepStatus, "open">, error?: unknown) => void requestRead.then(() => collector.endStep(step, status, error));

  // A generic step records the path, status and latency: its bodies are not ours to read.
  if (!dialect) {
    return {
      end,
      finish(response) {
        llm.httpStatus = response.status;
        if (!response.ok) step.error = { type: String(response.status), message: response.statusText || `HTTP ${response.status}` };
        end(response.ok ? "ok" : "error");
        return response;
      },
    };
  }

  // The body is read from a copy, never from what the caller sends. Headers are never read.
  const body = guard("fetch", () => bodyText(init, request), undefined);
  requestRead = Promise.resolve(body).then(
    (text) => readRequest(step, llm, dialect, text),
    () => void (llm.parseProblem = "the request body could not be read"),
  );

  return {
    end,
    injectUsage: collector.config.injectStreamUsage && endpoint === "chat" && match.provider === "openai"
      ? async (args) => {
          try {
            const text = await body;
            const changed = text === undefined ? undefined : withStreamUsage(text);
            return (changed !== undefined && replaceBody(args[0], args[1], changed)) || args;
          } catch {
            return args;
          }
        }
      : undefined,
    finish(response) {
      llm.httpStatus = response.status;
      if (!response.ok) {
        readCopy(response, (text) => {
          const error = readErrorBody(text, response.status, response.statusText, maxBytes);
          step.error = { type: error.type, message: error.message };
          if (error.code) llm.errorCode = error.code;
          end("error");
        }, end);
        return response;
      }
      if (response.body && (response.headers.get("content-type") ?? "").includes("text/event-stream")) {
        return traceStream(response, { step, llm, dialect, maxBytes, signal, end, keepOpen: collector.keepOpenUntil });
      }
      readCopy(response, (text) => {
        try {
          dialect.readResponse(llm, JSON.parse(text));
        } catch {
          llm.parseProblem = `the response is not JSON: ${text.slice(0, 200)}`;
        }
        end("ok");
      }, end);
      return response;
    },
  };
}

function readRequest(step: Step, llm: LlmCall, dialect: Dialect, text: string | undefined): void {
  if (text === undefined) {
    llm.parseProblem = "the request body is a stream or form, not recorded";
    return;
  }
  // The reply may already have shown a stream (its content type): reading the request must not undo that.
  const streamed = llm.streamed;
  try {
    dialect.readRequest(llm, JSON.parse(text));
  } catch {
    llm.parseProblem = "the request body is not JSON";
  }
  llm.streamed ||= streamed;
  if (llm.requestModel) step.name = `${dialect.operation} ${llm.requestModel}`;
}

/** Parses a copy of a non-streamed body off the critical path: the caller already has the response. */
function readCopy(response: Response, onText: (text: string) => void, end: (status: "error" | "cancelled", error: unknown) => void): void {
  response.clone().text().then(
    (text) => guard("fetch", () => onText(text), undefined),
    (error) => end(isAbort(error) ? "cancelled" : "error", error),
  );
}

/** A URL fetch itself may resolve (a relative one, in a browser): not a provider call of ours, and no reason to warn. */
function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
