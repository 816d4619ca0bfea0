// The stream designs compared by bench/stream-designs.mjs, as plain Worker-side JS. Each takes the upstream
// Response of a streamed (SSE) LLM call and returns the Response the caller gets, and records a step:
//   { status: "ok" | "cancelled" | "error", ttft (ms from the fetch), events, text, complete ([DONE] seen),
//     parseProblem, bytes }
// `ctx`: { step, signal (the caller's AbortSignal, if any), done(step) (called once, at the end), waitUntil(promise) }.
//
//  today   A  pull-based JS ReadableStream (tapStream) + SSE parse and JSON.parse of every chunk as it passes
//  refs    E  the same pull stream, but it parses only until the first token; later chunks are kept by reference
//             and parsed once at the end
//  tee     B  body.tee(): the caller gets branch a as is, the tracer reads branch b natively in one piece
//             (new Response(b).arrayBuffer()) and parses once at the end. No cancel, no time to first token.
//  pipe    C  tee; the caller's branch through a native pipe (a.pipeTo(IdentityTransformStream)) whose rejection
//             tells a cancel; the tracer's branch through an abortable native pipe, read natively in one piece
//  pipe+r  D  C, and branch b read by a JS reader until the first token, then handed to the native pipe
//  pipe+3  D  C, and a third tee branch read by JS until the first token, then cancelled
//  byob    C+D tee; native pipe to the caller (as C); the tracer's branch through a native pipe, read by a JS BYOB
//             reader: readAtLeast(1) until the first token, then readAtLeast(16 KB): parsed in batches of ≥ 16 KB
//  sink    C+D tee; the caller's branch through the native pipe (as C); the tracer's branch piped into a JS
//             WritableStream that parses until the first token, then only keeps references; one parse at the end
//
// Probes (bench-only): probe-pipe (one native pipe, nothing recorded), probe-tee (tee + native collection without
// the caller's pipe), byob4k (byob with 4 KB batches), byob-b (readAtLeast on branch b itself: starves branch a).
//
// workerd behaviours these designs rely on or work around (workerd 1.20260426.1, compatibility date 2026-05-01):
// - new Response(teeBranch).arrayBuffer()/.text() (and readAtLeast(n) on a tee branch) starve the other branch: its
//   reader gets nothing until n bytes (4 KB) or the end arrive. Reading the branch through a native pipe does not.
// - new Response(disturbedStream) throws TypeError; a disturbed (released) stream can still be pipeTo()'d.
// - pipeTo(dest, { signal }) aborted: the destination is errored even with preventAbort: true (and a Response
//   reading that destination never settles then); with preventCancel: true the source still ends up errored.
// - Aborting the fetch's signal after the response arrived cancels the body only while it is not tee()'d.
// - A JS ReadableStream returned as a response body gets no cancel() when the client disconnects (nor with a
//   waitUntil pending); a native pipe into an IdentityTransformStream rejects ("Network connection lost.").
// - A native pipe notices that its destination was cancelled only when it next has a chunk to write: the caller's
//   cancel is seen (and upstream cancelled) when the next upstream chunk arrives, or the stream ends (so a consumer
//   that stops at [DONE] before the body ends still gets a complete step).
// - The rejection handlers only run if their promises are in ctx.waitUntil: without it, a client disconnect tears
//   the request down and the step stays open (the upstream is closed anyway).
// The library's own SSE parser and pull stream: the designs differ only in how the bytes travel.
import { createSseParser } from "../../src/providers/sse.ts";
import { tapStream } from "../../src/providers/stream-tap.ts";

export const newStep = () => ({ status: "open", start: Date.now(), ttft: undefined, events: 0, text: "", complete: false, failed: false, parseProblem: undefined, bytes: 0, reason: undefined });

/** The per-event reader of an OpenAI chat stream: JSON.parse, the content token, the end marker. */
function eventReader(step, { timed = true, tokenOnly = false } = {}) {
  return (data) => {
    if (data === "[DONE]") {
      if (!tokenOnly) step.complete = true;
      return;
    }
    if (!tokenOnly) step.events++;
    let event;
    try {
      event = JSON.parse(data);
    } catch {
      if (!tokenOnly) step.parseProblem ??= `a streamed event is not JSON: ${data.slice(0, 60)}`;
      return;
    }
    if (event?.error && !tokenOnly) step.failed = true;
    const content = event?.choices?.[0]?.delta?.content;
    if (typeof content === "string" && content) {
      if (timed && step.ttft === undefined) step.ttft = Date.now() - step.start;
      if (!tokenOnly) step.text += content;
    }
  };
}

/** Ends the step as src/providers/stream-step.ts does. */
function finish(step, how, reason) {
  if (step.status !== "open") return;
  if (how === "done" && !step.complete) step.parseProblem ??= "the stream ended without [DONE]";
  step.status = step.failed ? "error" : how === "done" || step.complete ? "ok" : how === "cancelled" ? "cancelled" : "error";
  if (reason !== undefined) step.reason = String(reason);
  step.endMs = Date.now() - step.start;
}

function concat(chunks) {
  if (chunks.length === 1) return chunks[0];
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

const respond = (body, response) => new Response(body, response);


/** A: today's design. */
export function today(response, { step, signal, done }) {
  const parser = createSseParser(eventReader(step));
  let ended = false;
  const onAbort = () => onEnd("cancelled", signal.reason);
  function onEnd(how, reason) {
    if (ended) return;
    ended = true;
    signal?.removeEventListener("abort", onAbort);
    parser.end(); // as stream-step.ts does, after a cancel too
    finish(step, how, reason);
    done(step);
  }
  signal?.addEventListener("abort", onAbort, { once: true });
  const onChunk = (bytes) => {
    step.bytes += bytes.byteLength;
    try {
      parser.feed(bytes);
    } catch (error) {
      step.parseProblem ??= String(error);
    }
  };
  return respond(tapStream(response.body, onChunk, onEnd), response);
}

/** E: the pull stream, parsing only until the first token; then references only, one parse at the end. */
export function refs(response, { step, signal, done }) {
  const parser = createSseParser(eventReader(step));
  const rest = [];
  let ended = false;
  const onAbort = () => onEnd("cancelled", signal.reason);
  function onEnd(how, reason) {
    if (ended) return;
    ended = true;
    signal?.removeEventListener("abort", onAbort);
    if (rest.length) parser.feed(concat(rest));
    if (how === "done") parser.end();
    finish(step, how, reason);
    done(step);
  }
  signal?.addEventListener("abort", onAbort, { once: true });
  const onChunk = (bytes) => {
    step.bytes += bytes.byteLength;
    if (step.ttft === undefined) parser.feed(bytes);
    else rest.push(bytes);
  };
  return respond(tapStream(response.body, onChunk, onEnd), response);
}

/** B: tee, branch b read natively in one piece. The caller's cancel is not seen and does not stop upstream. */
export function tee(response, { step, signal, done, waitUntil }) {
  const [a, b] = response.body.tee();
  const parser = createSseParser(eventReader(step, { timed: false }));
  let cancelled = false;
  signal?.addEventListener("abort", () => (cancelled = true), { once: true });
  waitUntil(
    new Response(b).arrayBuffer().then(
      (buffer) => {
        step.bytes = buffer.byteLength;
        parser.feed(new Uint8Array(buffer));
        parser.end();
        finish(step, cancelled ? "cancelled" : "done");
        done(step);
      },
      (error) => {
        finish(step, cancelled ? "cancelled" : "error", error);
        done(step);
      },
    ),
  );
  return respond(a, response);
}

const CANCELLED = "the consumer cancelled the stream";

/**
 * The caller's branch through a native pipe into an IdentityTransformStream. The pipe rejects when the caller
 * cancels (reader.cancel(), a client disconnecting), when `stop` is aborted, or when upstream fails. Upstream
 * failures reach the tracer's branch in the same turn: it gets one timer turn to see it before this is a cancel.
 * Returns the stream the caller gets.
 */
function callerBranch(a, stop, isEnded, waitUntil) {
  const toCaller = new IdentityTransformStream();
  waitUntil(
    a.pipeTo(toCaller.writable, { signal: stop.signal }).catch(() => {
      if (!stop.signal.aborted) setTimeout(() => isEnded() || stop.abort(CANCELLED), 0);
    }),
  );
  return toCaller.readable;
}

/** C, D: the tracer's branch read natively through an abortable pipe; `firstToken`: "none", "reader" or "branch". */
function native(firstToken) {
  return (response, { step, signal, done, waitUntil }) => {
    let [a, b] = response.body.tee();
    let c;
    if (firstToken === "branch") [b, c] = b.tee();
    const stop = new AbortController();
    let ended = false;
    const onAbort = () => stop.abort(signal.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const toCaller = callerBranch(a, stop, () => ended, waitUntil);
    // "reader" times the first token with the main parser; "branch" with a token-only parser on branch c.
    const parser = createSseParser(eventReader(step, { timed: firstToken === "reader" }));
    const end = (how, reason) => {
      if (ended) return;
      ended = true;
      signal?.removeEventListener("abort", onAbort);
      if (how === "done") parser.end();
      finish(step, how, reason);
      done(step);
    };

    if (c) {
      waitUntil(
        (async () => {
          const reader = c.getReader();
          // b and c are the two branches of one tee: upstream stops only when both are cancelled
          stop.signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
          const early = createSseParser(eventReader(step, { tokenOnly: true }));
          try {
            while (step.ttft === undefined && !stop.signal.aborted) {
              const { done: over, value } = await reader.read();
              if (over) return;
              early.feed(value);
            }
          } catch {}
          reader.cancel().catch(() => {});
        })(),
      );
    }

    const collect = async () => {
      let source = b;
      if (firstToken === "reader") {
        const reader = b.getReader();
        const cancel = () => reader.cancel(stop.signal.reason).catch(() => {});
        stop.signal.addEventListener("abort", cancel, { once: true });
        try {
          while (step.ttft === undefined) {
            const { done: over, value } = await reader.read();
            // reader.cancel() (our stop) ends a pending read as done
            if (over) return end(stop.signal.aborted ? "cancelled" : "done", stop.signal.reason);
            step.bytes += value.byteLength;
            parser.feed(value);
          }
        } catch (error) {
          return end(stop.signal.aborted ? "cancelled" : "error", error);
        }
        stop.signal.removeEventListener("abort", cancel);
        reader.releaseLock();
        source = b; // disturbed now: new Response(b) would throw, pipeTo does not
      }
      const sink = new IdentityTransformStream();
      const bytes = new Response(sink.readable).arrayBuffer();
      const [piped, read] = await Promise.allSettled([source.pipeTo(sink.writable, { signal: stop.signal }), bytes]);
      if (read.status === "fulfilled") {
        step.bytes += read.value.byteLength;
        parser.feed(new Uint8Array(read.value));
      }
      // An aborted native pipe errors its destination (preventAbort is not honoured): the bytes after the first token are lost.
      if (piped.status === "fulfilled") end("done");
      else end(stop.signal.aborted ? "cancelled" : "error", piped.reason);
    };
    waitUntil(collect());
    return respond(toCaller, response);
  };
}
export const pipe = native("none");
export const pipeReader = native("reader");
export const pipeBranch = native("branch");

/** C+D: the tracer's branch piped into a JS sink: parsed until the first token, then kept by reference. */
export function sink(response, { step, signal, done, waitUntil }) {
  const [a, b] = response.body.tee();
  const stop = new AbortController();
  const parser = createSseParser(eventReader(step));
  const rest = [];
  let ended = false;
  const onAbort = () => stop.abort(signal.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const toCaller = callerBranch(a, stop, () => ended, waitUntil);
  const end = (how, reason) => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener("abort", onAbort);
    if (rest.length) parser.feed(concat(rest));
    if (how === "done") parser.end();
    finish(step, how, reason);
    done(step);
  };
  const collector = new WritableStream({
    write(chunk) {
      step.bytes += chunk.byteLength;
      if (step.ttft === undefined) parser.feed(chunk);
      else rest.push(chunk);
    },
  });
  waitUntil(
    b.pipeTo(collector, { signal: stop.signal }).then(
      () => end("done"),
      (reason) => end(stop.signal.aborted ? "cancelled" : "error", reason),
    ),
  );
  return respond(toCaller, response);
}

/**
 * C+D, batched: the tracer's branch through the native pipe into an IdentityTransformStream read by a JS BYOB reader:
 * readAtLeast(1) until the first token (its time), then readAtLeast(BATCH): one JS read per BATCH bytes, not per chunk.
 * A cancel errors the pending read: the last < BATCH bytes are lost, what was read before is kept.
 * `viaPipe` false reads branch b itself with readAtLeast (a probe: large reads on a tee branch starve its sibling).
 */
function byobDesign(BATCH, viaPipe) {
  return (response, { step, signal, done, waitUntil }) => {
    const [a, b] = response.body.tee();
    const stop = new AbortController();
    const parser = createSseParser(eventReader(step));
    let ended = false;
    const onAbort = () => stop.abort(signal.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const toCaller = callerBranch(a, stop, () => ended, waitUntil);
    const end = (how, reason) => {
      if (ended) return;
      ended = true;
      signal?.removeEventListener("abort", onAbort);
      if (how === "done") parser.end();
      finish(step, how, reason);
      done(step);
    };
    let piped;
    let reader;
    if (viaPipe) {
      const collect = new IdentityTransformStream();
      piped = b.pipeTo(collect.writable, { signal: stop.signal });
      piped.catch(() => {});
      reader = collect.readable.getReader({ mode: "byob" });
    } else {
      reader = b.getReader({ mode: "byob" });
      stop.signal.addEventListener("abort", () => reader.cancel(stop.signal.reason).catch(() => {}), { once: true });
    }
    waitUntil(
      (async () => {
        try {
          for (;;) {
            const first = step.ttft === undefined;
            const { done: over, value } = await reader.readAtLeast(first ? 1 : BATCH, new Uint8Array(first ? 1024 : 4 * BATCH));
            if (over) break;
            step.bytes += value.byteLength;
            parser.feed(value);
          }
          await piped;
          end(stop.signal.aborted ? "cancelled" : "done", stop.signal.reason);
        } catch (error) {
          end(stop.signal.aborted ? "cancelled" : "error", error);
        }
      })(),
    );
    return respond(toCaller, response);
  };
}

// Probes, not designs (no cancel, no first-token time): what the native pieces cost on their own.
/** One native pipe: the upstream body through an IdentityTransformStream to the caller. Nothing recorded. */
export function probePipe(response, { step, done, waitUntil }) {
  const toCaller = new IdentityTransformStream();
  waitUntil(response.body.pipeTo(toCaller.writable).then(() => (finish(step, "done"), done(step)), () => {}));
  step.complete = true;
  return respond(toCaller.readable, response);
}
/** tee, the caller gets branch a as is, branch b through a native pipe read natively (C without the caller's pipe). */
export function probeTee(response, { step, done, waitUntil }) {
  const [a, b] = response.body.tee();
  const parser = createSseParser(eventReader(step, { timed: false }));
  const sink = new IdentityTransformStream();
  const bytes = new Response(sink.readable).arrayBuffer();
  waitUntil(
    Promise.all([b.pipeTo(sink.writable), bytes]).then(([, buffer]) => {
      parser.feed(new Uint8Array(buffer));
      parser.end();
      finish(step, "done");
      done(step);
    }, () => {}),
  );
  return respond(a, response);
}

export const designs = { today, refs, tee, pipe, "pipe+r": pipeReader, "pipe+3": pipeBranch, sink, byob: byobDesign(16384, true), byob4k: byobDesign(4096, true), "byob-b": byobDesign(4096, false), "probe-pipe": probePipe, "probe-tee": probeTee };
