// Keeps an invocation open while the Response its handler returned is being read. Lazy streams (the Vercel AI
// SDK's `streamText`, an SDK call inside a returned ReadableStream) make their LLM calls only when the body is
// pulled, after the handler returned: those calls belong to the invocation, and its flush must wait for them.
//
// The body is watched through a pipe: a TransformStream with no transform passes each chunk along as it is. A
// provider's stream the traced fetch handed out in workerd needs none: its own native pipe tells when it was read.
import { whenRead } from "../providers/native-tap.js";

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
 * Returns `result` unchanged unless it is a Response with a body; then a Response with the same status, headers
 * and bytes, whose body is piped from the original. `onEnd` runs once when the body was read to its end, failed,
 * or was cancelled by the client (the cancel reaches the original body, and so the upstream it reads).
 * With `beforeClose` (runtimes with no waitUntil), the body's last step waits for it: the flush is awaited inside
 * the response, so the platform keeps the request alive until the export is done.
 */
export function watchBody<T>(result: T, onEnd: () => void, beforeClose?: () => Promise<unknown>): T {
  if (!isWatchable(result)) return result;
  const body = result.body!;
  // A provider's stream returned as it came (workerd): its native pipe already says when the client has read it.
  const read = beforeClose ? undefined : whenRead(body);
  if (read) return void read.then(onEnd, onEnd), result;
  // A TransformStream with no transform: workerd cannot pipe its own transform streams (IdentityTransformStream,
  // CompressionStream…) into each other, and a body may be one of them.
  const pipe = new TransformStream<Uint8Array, Uint8Array>(beforeClose && { flush: () => (onEnd(), beforeClose().then(() => undefined)) });
  body.pipeTo(pipe.writable).then(onEnd, onEnd);
  return new Response(pipe.readable, result) as T;
}
