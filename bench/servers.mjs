// The loopback servers the benchmark talks to, in their own process so the CPU the benchmark measures is the
// caller's alone: two mock LLMs (one instant, one streaming with a pause between chunks) and an export sink.
import http from "node:http";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startMockLlm } from "../test/mocks/mock-llm.mjs";

/** Starts this file as a child process; resolves with the servers' URLs and a `close()`. */
export function startServers() {
  const child = fork(fileURLToPath(import.meta.url), ["--serve"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`bench servers exited (${code})`)));
    child.once("message", (urls) =>
      resolve({ ...urls, close: () => new Promise((done) => (child.removeAllListeners("exit"), child.once("exit", done), child.kill())) }),
    );
  });
}

/** A phospho-shaped sink: accepts every export, answers as phospho does, counts requests and bytes (GET /stats). */
function startSink() {
  const stats = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    if (req.method === "GET") return res.end(JSON.stringify(stats));
    let bytes = 0;
    req.on("data", (chunk) => (bytes += chunk.length));
    req.on("end", () => {
      stats.requests++;
      stats.bytes += bytes;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(req.url.startsWith("/v2/log") ? '{"logged_events":[]}' : "{}");
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

if (process.argv.includes("--serve")) {
  const [llm, paced, sink] = await Promise.all([startMockLlm({ quiet: true }), startMockLlm({ quiet: true, chunkDelayMs: 2 }), startSink()]);
  process.send({ llm: llm.url, paced: paced.url, sink });
}
