// Records a streamed (text/event-stream) reply while handing the caller the upstream bytes unchanged, as fast as it reads.
// The reply is parsed as it arrives only until its first token (whose time is recorded); the rest is kept and parsed
// once, when the stream ends. In workerd the bytes go to the caller through native pipes (native-tap.ts); elsewhere
// through a pull stream (stream-tap.ts) that reads upstream only as fast as the caller does.
import { now } from "../util/clock.js";
import type { LlmCall, Step, StepStatus } from "../model/records.js";
import { guard } from "../util/warn.js";
import { END, isJsonObject, TOKEN, type Dialect, type Json } from "./dialect.js";
import { streamedError } from "./errors.js";
import { createSseParser } from "./sse.js";
import { nativeTap } from "./native-tap.js";
import { tapStream, type StreamEnd } from "./stream-tap.js";

export interface StreamContext {
  step: Step;
  llm: LlmCall;
  dialect: Dialect | undefined;
  maxBytes: number;
  /** The caller's AbortSignal: an abort ends the step at once, even if the caller never reads again. */
  signal: AbortSignal | undefined;
  end(status: Exclude<StepStatus, "open">, error?: unknown): void;
  /** Keeps the invocation open until `promise` settles: the native pipes outlive the handler. */
  keepOpen(promise: Promise<unknown>): void;
}

/** Past this many bytes without a token, stop parsing as the reply arrives: a reply with no text pays no more. */
const LIVE_PARSE_BYTES = 65_536;

export function traceStream(response: Response, { step, llm, dialect, maxBytes, signal, end, keepOpen }: StreamContext): Response {
  llm.streamed = true;
  const read = dialect?.streamReader?.(llm);
  /** The stream said it was complete ([DONE], or response.completed): a cancel after that is the normal end. */
  let complete = false;
  /** The provider sent an error inside the stream: the SDK throws it to the caller, so the step is an error. */
  let failed = false;
  let ended = false;

  const onEvent = (data: string, name: string) => {
    if (data === "[DONE]") return void (complete = true);
    llm.chunks = (llm.chunks ?? 0) + 1;
    let event: Json;
    try {
      event = JSON.parse(data);
    } catch {
      llm.parseProblem ??= `a streamed event is not JSON: ${data.slice(0, 200)}`;
      return;
    }
    if (!isJsonObject(event)) return;
    const error = streamedError(event, name, maxBytes);
    if (error) {
      step.error ??= error;
      llm.errorCode ??= error.code;
      failed = true;
    }
    const flags = read ? read(event, name) : 0;
    if (flags & TOKEN) {
      const time = now();
      step.firstTokenTime ??= time;
      llm.lastTokenTime = time;
    }
    if (flags & END) complete = true;
  };
  const parser = createSseParser(onEvent);

  const feed = (bytes: Uint8Array) => {
    try {
      parser.feed(bytes);
    } catch (error) {
      llm.parseProblem ??= `the stream could not be parsed: ${String(error)}`;
    }
  };
  let liveBytes = 0;
  /** Chunks that came after the first token: kept by reference, parsed once at the end. */
  const later: Uint8Array[] = [];
  const readNatively = () => step.firstTokenTime !== undefined || liveBytes > LIVE_PARSE_BYTES;
  const onBytes = (bytes: Uint8Array) => {
    if (readNatively()) return void later.push(bytes);
    liveBytes += bytes.byteLength;
    feed(bytes);
  };

  const onAbort = () => onEnd("cancelled", signal?.reason);
  function onEnd(how: StreamEnd, reason?: unknown): void {
    if (ended) return;
    ended = true;
    signal?.removeEventListener("abort", onAbort);
    guard("stream", () => {
      if (later.length) feed(concat(later));
      // A cut-off last event after a cancel or an error is no parse problem: only a finished stream flushes it.
      if (how === "done") parser.end();
      // Every dialect we read marks its end ([DONE], response.completed). A stream that just stops may be cut short:
      // workerd hands a dropped connection to the caller as a normal end, so this note is all that tells them apart.
      if (how === "done" && !complete && read) llm.parseProblem ??= "the stream ended without its end marker ([DONE] or response.completed): the reply may be cut short";
      if (failed) end("error");
      // SDKs (Mistral's) cancel the stream once they read [DONE]: that is a normal end.
      else if (how === "done" || complete) end("ok");
      else end(how === "cancelled" || isAbort(reason) ? "cancelled" : "error", reason);
    }, undefined);
  }
  const body = nativeTap(response.body!, { onBytes, readNatively, onEnd }, signal, keepOpen);
  // The pull stream has no native pipe to learn of an abort: the caller's signal says it.
  if (!body) signal?.addEventListener("abort", onAbort, { once: true });

  const traced = new Response(body ?? tapStream(response.body!, onBytes, onEnd), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // A new Response loses these; keep them so the caller sees what it would have seen.
  Object.defineProperties(traced, { url: { value: response.url }, redirected: { value: response.redirected } });
  return traced;
}

/** One buffer of `chunks`, so the end parse decodes once. */
function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((length, chunk) => length + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export const isAbort = (error: unknown) => (error as { name?: string } | null)?.name === "AbortError";
