// Passes a streamed reply to the caller through native pipes only (workerd's IdentityTransformStream), while the
// tracer gets a copy: read in JavaScript chunk by chunk until the first token (so its time is exact), then natively
// in one piece, parsed once at the end. Where the runtime has no IdentityTransformStream it returns undefined and
// the caller uses tapStream (the pull-through stream) instead.
//
// Why this shape (designs measured in workerd with `node bench/stream-designs.mjs`; `npm run bench` prices it):
// - tee() gives the caller its bytes untouched; a JavaScript pull stream costs ~25 µs of CPU per chunk, a native
//   pipe under 1 µs, and the whole design ~3 µs.
// - The caller's branch goes through a native pipe because a pipe's rejection is the only way to learn, without
//   touching chunks, that the caller cancelled (reader.cancel(), an SDK breaking out, a client disconnecting from
//   a Worker that returned the stream). A pipe notices it at the next chunk it has to write.
// - The tracer's branch is piped into an IdentityTransformStream and read from there: reading a tee branch with
//   new Response(branch).arrayBuffer() directly starves the other branch (the caller gets nothing until 4 KB or the
//   end), and cannot be aborted. Aborting our pipe cancels the tracer's branch; with both branches cancelled, tee()
//   cancels the upstream body and workerd closes the upstream connection.
// - An aborted pipe errors its destination: after a cancel, the bytes read natively are lost. The step keeps its
//   status, its time to first token and what was read before it.
import { register } from "./handed-out.js";
import type { StreamEnd } from "./stream-tap.js";

export interface NativeTapHooks {
  /** The tracer's copy: chunk by chunk until `readNatively()`, then the rest in one piece at the end. Must not throw. */
  onBytes(bytes: Uint8Array): void;
  /** True once the tracer needs no more chunk-by-chunk reads (it has seen the first token). */
  readNatively(): boolean;
  /** Called once: `done`, `cancelled` (the caller cancelled or aborted its signal) or `error` (upstream failed). */
  onEnd(how: StreamEnd, reason?: unknown): void;
}

type Pipe = { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
// Looked up once: workerd defines it; Deno, Vercel Edge and Node do not.
const Identity = (globalThis as { IdentityTransformStream?: new () => Pipe }).IdentityTransformStream;
const CANCELLED = "the consumer cancelled the stream";

/**
 * The stream to hand the caller, or undefined where there are no native pipes. `keepOpen` receives the promises
 * of the pipes, which must outlive the handler (the invocation's flush waits for them, inside waitUntil).
 */
export function nativeTap(
  body: ReadableStream<Uint8Array>,
  { onBytes, readNatively, onEnd }: NativeTapHooks,
  signal: AbortSignal | undefined,
  keepOpen: (promise: Promise<unknown>) => void,
): ReadableStream<Uint8Array> | undefined {
  if (typeof Identity !== "function") return undefined;
  const [forCaller, forTracer] = body.tee();
  const stop = new AbortController();
  let ended = false;
  const onAbort = () => stop.abort(signal?.reason);
  const end = (how: StreamEnd, reason?: unknown) => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener("abort", onAbort);
    onEnd(how, reason);
  };
  signal?.addEventListener("abort", onAbort, { once: true });

  const toCaller = new Identity();
  const callerPipe = forCaller.pipeTo(toCaller.writable, { signal: stop.signal }).catch(() => {
    if (stop.signal.aborted) return;
    // An upstream failure rejects this pipe too, and ends the tracer's branch within this turn: give it one timer
    // turn to end the step as an error. Otherwise the caller cancelled: stop the tracer's branch, and so upstream.
    setTimeout(() => ended || stop.abort(CANCELLED), 0);
  });
  keepOpen(callerPipe);
  register(toCaller.readable, { read: callerPipe });

  keepOpen(
    (async () => {
      const reader = forTracer.getReader();
      const cancel = () => void reader.cancel(stop.signal.reason).catch(() => {});
      stop.signal.addEventListener("abort", cancel, { once: true });
      try {
        while (!readNatively()) {
          const { done, value } = await reader.read();
          if (done) return end(stop.signal.aborted ? "cancelled" : "done", stop.signal.aborted ? stop.signal.reason : undefined);
          onBytes(value);
        }
      } catch (error) {
        return end(stop.signal.aborted ? "cancelled" : "error", error);
      }
      stop.signal.removeEventListener("abort", cancel);
      reader.releaseLock();
      // The branch is disturbed now: new Response(forTracer) would throw, a pipe does not.
      const collect = new Identity();
      const rest = new Response(collect.readable).arrayBuffer();
      // After a failed pipe, the collected bytes may never settle: the step ends on the pipe's word alone.
      rest.catch(() => {});
      try {
        await forTracer.pipeTo(collect.writable, { signal: stop.signal });
      } catch (error) {
        return end(stop.signal.aborted ? "cancelled" : "error", error);
      }
      const bytes = await rest;
      if (bytes.byteLength) onBytes(new Uint8Array(bytes));
      end("done");
    })(),
  );
  return toCaller.readable;
}
