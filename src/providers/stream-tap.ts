// Passes a response body through untouched while letting the tracer see each chunk.
// Pull-based with no read-ahead: a chunk is read from upstream only when the caller asks for one,
// so nothing is buffered and nothing is delayed.
import { register } from "./handed-out.js";

export type StreamEnd = "done" | "error" | "cancelled";

export function tapStream(
  body: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
  onEnd: (how: StreamEnd, reason?: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let read!: () => void;
  let beforeClose: (() => Promise<unknown>) | undefined;
  const end = (how: StreamEnd, reason?: unknown) => {
    onEnd(how, reason);
    read();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          end("error", error);
          controller.error(error);
          return;
        }
        if (result.done) {
          end("done");
          // A Worker with no waitUntil returned this stream: its export finishes before the stream closes.
          if (beforeClose) await beforeClose().catch(() => {});
          controller.close();
          return;
        }
        controller.enqueue(result.value);
        onChunk(result.value);
      },
      cancel(reason) {
        end("cancelled", reason);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  register(stream, { read: new Promise<void>((resolve) => (read = resolve)), holdClose: (wait) => void (beforeClose = wait) });
  return stream;
}
