// The streamed bodies the traced fetch handed to callers, each with what tells when its caller has read it. A
// Worker that returns one as its response needs no second pipe around it to know when the client has read it:
// withTracer asks here first (workerd cannot pipe one of its transform streams into another, and elsewhere every
// extra JavaScript stream costs CPU on every chunk). Weak: each entry goes with its request.

export interface HandedOut {
  /** Settles once the caller has read the stream to its end, or cancelled it, or it failed. */
  read: Promise<unknown>;
  /** Pull streams only: `wait` runs when the upstream has ended, and the stream closes once it settles. */
  holdClose?(wait: () => Promise<unknown>): void;
}

const handedOut = new WeakMap<ReadableStream<Uint8Array>, HandedOut>();

export const register = (stream: ReadableStream<Uint8Array>, entry: HandedOut): void => void handedOut.set(stream, entry);

/** What is known of `stream`, when the traced fetch handed it out. */
export const handedOutStream = (stream: ReadableStream<Uint8Array>): HandedOut | undefined => handedOut.get(stream);
