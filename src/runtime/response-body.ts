// Keeps an invocation open while the Response its handler returned is being read. Lazy streams (the Vercel AI
// SDK's `streamText`, an SDK call inside a returned ReadableStream) make their LLM calls only when the body is
// pulled, after the handler returned: those calls belong to the invocation, and its flush must wait for them.
//
// The body is watched through a pipe: a TransformStream with no transform passes each chunk along as it is. A
// provider's stream the traced fetch handed out needs none: the traced fetch knows when it was read.
import { handedOutStream } from "../providers/handed-out.js";

/** The part of a Response we need to tell one with a body to watch. */
interface ResponseLike {
  body: ReadableStream<Uint8Array> | null;
  status: number;
  bodyUsed?: boolean;
  webSocket?: unknown;
}

const isWatchable = (value: unknown): value is ResponseLike & Response => {
  const response = value as ResponseLike | null | undefined;
  return (
    typeof response?.status === "number" &&
    typeof response.body?.pipeTo === "function" &&
    !response.body.locked &&
    !response.bodyUsed &&
    // A WebSocket upgrade's response cannot be rebuilt.
    response.status !== 101 &&
    !response.webSocket
  );
};

/**
 * Undefined unless `result` is a Response with a body; then the Response to return, whose body is watched: the
 * same one (a stream the traced fetch handed out), or one with the same status, headers and bytes piped from the
 * original. `onEnd` runs when the body was read to its end, failed, or was cancelled by the client (the cancel
 * reaches the original body, and so the upstream it reads). With `beforeClose` (runtimes with no waitUntil), the
 * body's last step waits for it: the flush is awaited inside the response, so the platform keeps the request alive
 * until the export is done.
 */
export function watchBody(result: unknown, onEnd: () => void, beforeClose?: () => Promise<unknown>): Response | undefined {
  if (!isWatchable(result)) return undefined;
  const body = result.body!;
  // A provider's stream returned as it came: the traced fetch already knows when the client has read it.
  const tapped = handedOutStream(body);
  if (tapped && (!beforeClose || tapped.holdClose)) {
    if (beforeClose) tapped.holdClose!(() => (onEnd(), beforeClose()));
    tapped.read.then(onEnd, onEnd);
    return result;
  }
  // A TransformStream with no transform: workerd cannot pipe its own transform streams (IdentityTransformStream,
  // CompressionStream…) into each other, and a body may be one of them.
  const pipe = new TransformStream<Uint8Array, Uint8Array>(beforeClose && { flush: () => (onEnd(), beforeClose().then(() => undefined)) });
  body.pipeTo(pipe.writable).then(onEnd, onEnd);
  return new Response(pipe.readable, result);
}
