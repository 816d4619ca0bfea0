// A loopback OpenAI-style SSE upstream that streams one chunk every few milliseconds and records, per request,
// how many chunks it wrote and whether its client went away before the end: what tells a test the upstream
// was really cancelled.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface StreamRecord {
  written: number;
  /** The connection closed before the last chunk was written. */
  cutByClient: boolean;
  closed: Promise<void>;
}

export async function startSlowUpstream(chunks: number, delayMs: number) {
  const streams: StreamRecord[] = [];
  const server = http.createServer(async (req, res) => {
    for await (const _ of req); // the request body
    let resolveClosed!: () => void;
    const record: StreamRecord = { written: 0, cutByClient: false, closed: new Promise((resolve) => (resolveClosed = resolve)) };
    streams.push(record);
    res.on("close", () => {
      record.cutByClient = record.written < chunks;
      resolveClosed();
    });
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (let i = 0; i < chunks && !res.destroyed; i++) {
      const delta = i === 0 ? { role: "assistant", content: "" } : { content: `${i} ${"word ".repeat(20)}` };
      res.write(`data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
      record.written++;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    if (!res.destroyed) res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    streams,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
