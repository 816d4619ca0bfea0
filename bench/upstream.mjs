// A loopback OpenAI-shaped upstream for the benches (bench/patterns.mjs, bench/stream-designs.mjs), run in its own
// process so its CPU is not the runtime's. It listens on 127.0.0.1 only.
// POST …/chat/completions with `"stream":true` in the body streams `x-events` content events (each its own write), a
// finish event, a usage event and [DONE]; without it, answers one 1.5 KB chat completion (JSON).
// The path may start with /s/<events>/<ms>/ (e.g. /s/500/1/v1/chat/completions): the same as the headers `x-events`
// and `x-delay-ms`, for clients that cannot add headers. `x-delay-ms` paces the events; `x-id` names the request so
// GET /status?id= can tell whether the whole reply was sent or the connection was closed first (the consumer
// cancelled upstream). `x-split: 1` writes each event in two halves, `x-cut-after: k` drops the connection after k
// events, `x-end-delay-ms` ends the body that long after the last event.
// Anything under /sink/ is a phospho-shaped export sink: every POST is accepted and counted (GET /sink/stats).
import http from "node:http";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { completion } from "./patterns/chat.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

/** The SSE events of a reply with `words` content events, as OpenAI's chat completions stream them. */
export function sseEvents(words) {
  const chunk = (delta, finish = null) => ({ id: "chatcmpl-bench", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini-2024-07-18", system_fingerprint: "fp_bench", choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
  const events = [chunk({ role: "assistant", content: "", refusal: null }), ...Array.from({ length: words }, (_, i) => chunk({ content: i ? ` word${i + 1}` : "word1" })), chunk({}, "stop"),
    { ...chunk({}), choices: [], usage: { prompt_tokens: 3, completion_tokens: words, total_tokens: words + 3 } }];
  return [...events.map((event) => `data: ${JSON.stringify(event)}\n\n`), "data: [DONE]\n\n"];
}

const cache = new Map();
const eventsFor = (words) => {
  if (!cache.has(words)) cache.set(words, sseEvents(words).map((text) => Buffer.from(text)));
  return cache.get(words);
};

/** The non-streamed reply: a 1.5 KB chat completion. */
const completionBytes = Buffer.from(JSON.stringify(completion));

export function startUpstream() {
  /** id → { sent, total, complete, closedEarly } */
  const status = new Map();
  const sink = { requests: 0, bytes: 0 };
  const server = http.createServer(async (req, res) => {
    req.socket.setNoDelay(true);
    const url = new URL(req.url, "http://upstream");
    if (url.pathname === "/status") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(status.get(url.searchParams.get("id")) ?? null));
    }
    if (url.pathname.startsWith("/sink/")) {
      if (req.method === "GET") return res.end(JSON.stringify(sink));
      for await (const chunk of req) sink.bytes += chunk.length;
      sink.requests++;
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(url.pathname.includes("/v2/log") ? '{"logged_events":[]}' : "{}");
    }
    let body = "";
    for await (const chunk of req) body += chunk;
    if (!/"stream"\s*:\s*true/.test(body)) {
      res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_bench" });
      return res.end(completionBytes);
    }
    const paced = /^\/s\/(\d+)\/(\d+)\//.exec(url.pathname);
    const words = Number(paced?.[1] ?? req.headers["x-events"] ?? 50);
    const delay = Number(paced?.[2] ?? req.headers["x-delay-ms"] ?? 0);
    const id = req.headers["x-id"];
    // A fault: after this many events the upstream drops the connection (a provider or network failure).
    const split = req.headers["x-split"] === "1";
    const cutAfter = req.headers["x-cut-after"] === undefined ? Infinity : Number(req.headers["x-cut-after"]);
    const events = eventsFor(words);
    const record = { sent: 0, total: events.length, complete: false, closedEarly: false };
    if (id) status.set(id, record);
    res.on("close", () => {
      if (!record.complete) record.closedEarly = true;
    });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": "req_bench" });
    res.flushHeaders();
    for (const event of events) {
      if (res.destroyed) return;
      if (record.sent === cutAfter) {
        await sleep(20);
        return void res.socket?.destroy();
      }
      // Each event in a write of its own, as a provider sends tokens; a tick (or a pause) between them so the
      // Worker reads them one by one instead of in one coalesced piece.
      if (split) {
        // The event in two writes, a pause between them: a consumer that stops in the pause has half an event.
        res.write(event.subarray(0, 20));
        await sleep(delay || 1);
        if (res.destroyed) return;
        res.write(event.subarray(20));
      } else res.write(event);
      record.sent++;
      if (delay) await sleep(delay);
      else await nextTick();
    }
    if (res.destroyed) return;
    // `x-end-delay-ms`: the last event ([DONE]) is sent, the body ends that much later (a consumer that stops at
    // [DONE], as Mistral's SDK does, may cancel in between).
    const endDelay = Number(req.headers["x-end-delay-ms"] ?? 0);
    if (endDelay) await sleep(endDelay);
    if (res.destroyed) return;
    record.complete = true;
    res.end();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((done) => { server.close(() => done()); server.closeAllConnections(); }) })));
}

/** Starts this file as a child process; resolves with its URL and a close(). */
export function forkUpstream() {
  const child = fork(fileURLToPath(import.meta.url), ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`upstream exited (${code})`)));
    child.once("message", (url) => resolve({ url, close: () => new Promise((done) => (child.removeAllListeners("exit"), child.once("exit", done), child.kill())) }));
  });
}

if (process.argv.includes("--serve")) {
  process.on("disconnect", () => process.exit(0)); // the parent is gone
  const { url } = await startUpstream();
  process.send(url);
}
