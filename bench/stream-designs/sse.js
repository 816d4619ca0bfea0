// The incremental SSE parser of src/providers/sse.ts, as plain JS for the bench Workers (same algorithm): correct
// under any chunking, decodes UTF-8 across chunks, \r\n / \r / \n line ends, comments, multi-line data.
// The parse-once designs feed it once, with the whole reply; today's design feeds it every chunk.
const STREAM = { stream: true };

export function createSseParser(onEvent) {
  const decoder = new TextDecoder();
  let buffer = "";
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

  const line = (start, end) => {
    if (start === end) return dispatch();
    if (buffer.charCodeAt(start) === 58 /* : */) return;
    let colon = buffer.indexOf(":", start);
    if (colon < 0 || colon > end) colon = end;
    let value = colon + 1;
    if (value < end && buffer.charCodeAt(value) === 32) value++;
    const fieldLength = colon - start;
    if (fieldLength === 4 && buffer.startsWith("data", start)) {
      const text = value < end ? buffer.slice(value, end) : "";
      data = hasData ? `${data}\n${text}` : text;
      hasData = true;
    } else if (fieldLength === 5 && buffer.startsWith("event", start)) {
      event = value < end ? buffer.slice(value, end) : "";
    }
  };

  const drain = (final) => {
    let start = 0;
    let i = scanned;
    const length = buffer.length;
    let lf = -2;
    let cr = -2;
    for (;;) {
      if (lf !== -1 && lf < i) lf = buffer.indexOf("\n", i);
      if (cr !== -1 && cr < i) cr = buffer.indexOf("\r", i);
      const at = lf < 0 ? cr : cr < 0 ? lf : Math.min(lf, cr);
      if (at < 0) break;
      const isCr = at === cr;
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
    /** The stream ended: dispatch what is complete, and a last event without its blank line. */
    end() {
      buffer += decoder.decode();
      drain(true);
      if (buffer) line(0, buffer.length);
      buffer = "";
      scanned = 0;
      dispatch();
    },
    /** The stream was cut short (cancelled): what follows the last complete event is dropped, unparsed. Returns its length. */
    drop() {
      const dropped = buffer.length + (hasData ? data.length + 1 : 0);
      buffer = "";
      scanned = 0;
      data = "";
      hasData = false;
      event = "";
      return dropped;
    },
  };
}
