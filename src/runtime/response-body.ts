// Keeps an invocation open while the Response its handler returned is being read. Lazy streams (the Vercel AI
// SDK's `streamText`, an SDK call inside a returned ReadableStream) make their LLM calls only when the body is
// pulled, after the handler returned: those calls belong to the invocation, and its flush must wait for them.
//
// The body is watched through a pipe, not read in JavaScript: workerd's IdentityTransformStream moves the bytes
// natively; elsewhere a TransformStream with no transform passes each chunk along as it is.

/** The part of a Response we need to tell one with a body to watch. */
interface ResponseLike {
  body: ReadableStream<Uint8Array> | null;
  status: number;
  bodyUsed?: boolean;
  webSocket?: unknown;
}

type Pipe = { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
const Identity = (globalThis as { IdentityTransformStream?: new () => Pipe }).IdentityTransformStream;

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
  const pipe: Pipe = beforeClose
    ? new TransformStream<Uint8Array, Uint8Array>({ flush: () => (onEnd(), beforeClose().then(() => undefined)) })
    : Identity ? new Identity() : new TransformStream<Uint8Array, Uint8Array>();
  result.body!.pipeTo(pipe.writable).then(onEnd, onEnd);
  return new Response(pipe.readable, result) as T;
}
