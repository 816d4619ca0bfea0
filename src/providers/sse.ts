// An incremental Server-Sent Events parser (the WHATWG event-stream format), correct under any chunking:
// lines split anywhere, UTF-8 characters split across chunks, \r\n, \r or \n line ends, comments and multi-line data.
// Invalid UTF-8 never throws: it decodes to U+FFFD, as a browser's EventSource would.
// Per chunk it does the decode and the line scan, nothing else: no option objects, no arrays, no rescans.

/** Feeds bytes in, calls `onEvent(data, event)` for each complete event. */
export interface SseParser {
  feed(bytes: Uint8Array): void;
  /** The stream ended: dispatch what is complete. A last event without its blank line is still dispatched. */
  end(): void;
}

const STREAM = { stream: true } as const;

export function createSseParser(onEvent: (data: string, event: string) => void): SseParser {
  // Not fatal: a bad byte becomes U+FFFD instead of an exception. A leading BOM is dropped, as the format asks.
  const decoder = new TextDecoder();
  let buffer = "";
  /** Where the line scan of `buffer` stopped: a long line fed in small pieces is scanned once, not once per piece. */
  let scanned = 0;
  let data = "";
  let hasData = false;
  let event = "";

  const dispatch = () => {
    if (hasData) onEvent(data, event || "message");
    data = "";
    hasData = false;
    event = "";
  };

  const line = (start: number, end: number) => {
    if (start === end) return dispatch();
    const first = buffer.charCodeAt(start);
    if (first === 58 /* : */) return; // a comment, e.g. a keep-alive
    let colon = buffer.indexOf(":", start);
    if (colon < 0 || colon > end) colon = end;
    let value = colon + 1;
    if (value < end && buffer.charCodeAt(value) === 32 /* space */) value++;
    const fieldLength = colon - start;
    if (fieldLength === 4 && buffer.startsWith("data", start)) {
      const text = value < end ? buffer.slice(value, end) : "";
      data = hasData ? `${data}\n${text}` : text;
      hasData = true;
    } else if (fieldLength === 5 && buffer.startsWith("event", start)) {
      event = value < end ? buffer.slice(value, end) : "";
    }
    // `id` and `retry` matter to reconnecting clients, not to a tracer.
  };

  // Line ends are found with indexOf (native, and each position looked up once per feed), not char by char.
  const drain = (final: boolean) => {
    let start = 0;
    let i = scanned;
    const length = buffer.length;
    let lf = -2; // next "\n" at or after i; -1: none in the buffer; -2: not looked up yet
    let cr = -2;
    for (;;) {
      if (lf !== -1 && lf < i) lf = buffer.indexOf("\n", i);
      if (cr !== -1 && cr < i) cr = buffer.indexOf("\r", i);
      const at = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (at < 0) break;
      const isCr = at === cr;
      // A \r last in the buffer may be the first half of \r\n: wait for the next chunk.
      if (isCr && at === length - 1 && !final) {
        buffer = buffer.slice(start);
        scanned = at - start;
        return;
      }
      line(start, at);
      i = isCr && buffer.charCodeAt(at + 1) === 10 ? at + 2 : at + 1;
      start = i;
    }
    buffer = start === 0 ? buffer : buffer.slice(start);
    scanned = buffer.length;
  };

  return {
    feed(bytes) {
      if (bytes.byteLength === 0) return;
      buffer += decoder.decode(bytes, STREAM);
      drain(false);
    },
    end() {
      buffer += decoder.decode();
      drain(true);
      if (buffer) line(0, buffer.length);
      buffer = "";
      scanned = 0;
      dispatch();
    },
  };
}
