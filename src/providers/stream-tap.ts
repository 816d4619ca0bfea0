// Passes a response body through untouched while letting the tracer see each chunk.
// Pull-based with no read-ahead: a chunk is read from upstream only when the caller asks for one,
// so nothing is buffered and nothing is delayed.

export type StreamEnd = "done" | "error" | "cancelled";

export function tapStream(
  body: ReadableStream<Uint8Array>,
  onChunk: (chunk: Uint8Array) => void,
  onEnd: (how: StreamEnd, reason?: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (error) {
          onEnd("error", error);
          controller.error(error);
          return;
        }
        if (result.done) {
          controller.close();
          onEnd("done");
          return;
        }
        controller.enqueue(result.value);
        onChunk(result.value);
      },
      cancel(reason) {
        onEnd("cancelled", reason);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
