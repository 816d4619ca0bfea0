// An incremental Server-Sent Events parser (the WHATWG event-stream format), correct under any chunking:
// lines split anywhere, UTF-8 characters split across chunks, \r\n, \r or \n line ends, comments and multi-line data.

/** Feeds bytes in, calls `onEvent(data, event)` for each complete event. */
export interface SseParser {
  feed(bytes: Uint8Array): void;
  /** The stream ended: dispatch what is complete. A last event without its blank line is still dispatched. */
  end(): void;
}

export function createSseParser(onEvent: (data: string, event: string) => void): SseParser {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  let event = "";

  const dispatch = () => {
    if (data.length) onEvent(data.join("\n"), event || "message");
    data = [];
    event = "";
  };

  const line = (text: string) => {
    if (text === "") return dispatch();
    if (text.charCodeAt(0) === 58 /* : */) return; // a comment, e.g. a keep-alive
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    // `id` and `retry` matter to reconnecting clients, not to a tracer.
  };

  const drain = (final: boolean) => {
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const code = buffer.charCodeAt(i);
      if (code !== 10 && code !== 13) continue;
      // A \r last in the buffer may be the first half of \r\n: wait for the next chunk.
      if (code === 13 && i === buffer.length - 1 && !final) break;
      line(buffer.slice(start, i));
      if (code === 13 && buffer.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
    buffer = buffer.slice(start);
  };

  return {
    feed(bytes) {
      buffer += decoder.decode(bytes, { stream: true });
      drain(false);
    },
    end() {
      buffer += decoder.decode();
      drain(true);
      if (buffer) line(buffer);
      buffer = "";
      dispatch();
    },
  };
}
