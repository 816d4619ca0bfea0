// A loopback HTTP server that misbehaves on purpose, for fault-injection tests: it answers each request
// with the next fault of a plan (per path): a status with any body, a delay, or a reset mid-body.
// Also `closedPortUrl()`, an address where nothing listens (connection refused).
import http from "node:http";
import net from "node:net";
import { decodeOtlpTraces } from "./otlp-schema.mjs";

/**
 * @typedef {{ status?: number, headers?: Record<string, string>, body?: string, delayMs?: number, reset?: boolean,
 *   stallMs?: number }} Fault
 * @typedef {{ method: string, path: string, attempt: number, receivedAt: number, body: Buffer, fault: Fault,
 *   answered: boolean }} SinkRequest
 * @typedef {{ faults: Fault[] | ((attempt: number, path: string) => Fault), quiet?: boolean }} FaultySinkOptions
 */

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the sink on 127.0.0.1. Request n (from 0) on a path gets `faults[n]`, the last one repeating.
 * A fault without `reset` is answered in full: `status` (default 200), `headers` (default JSON content type),
 * `body` (default `{}`), after `delayMs`. With `reset`, the head and `body` are written, then the socket is
 * destroyed before the response ends. With `stallMs`, the head and the first half of `body` are written at once,
 * the rest `stallMs` later (a reply slower than the client's budget after its headers came fast).
 * @param {FaultySinkOptions} options
 */
export async function startFaultySink(options) {
  const { faults, quiet = Boolean(process.env.VITEST) } = options;
  /** @type {SinkRequest[]} */
  const requests = [];
  /** @type {Map<string, number>} */
  const attempts = new Map();
  /** @type {Set<ReturnType<typeof setTimeout>>} */
  const timers = new Set();
  const wait = (/** @type {number} */ ms) => new Promise((resolve) => {
    const timer = setTimeout(() => (timers.delete(timer), resolve(undefined)), ms);
    timers.add(timer);
  });

  const server = http.createServer(async (req, res) => {
    req.socket.setNoDelay(true);
    const path = (req.url ?? "/").split("?")[0];
    const attempt = attempts.get(path) ?? 0;
    attempts.set(path, attempt + 1);
    const fault = typeof faults === "function" ? faults(attempt, path) : faults[Math.min(attempt, faults.length - 1)];
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    /** @type {SinkRequest} */
    const record = { method: req.method ?? "GET", path, attempt, receivedAt: Date.now(), body: Buffer.concat(chunks), fault, answered: false };
    requests.push(record);
    if (!quiet) console.log(`[faulty-sink] ${record.method} ${path} #${attempt}: ${JSON.stringify(fault)}`);

    if (fault.delayMs) await wait(fault.delayMs);
    if (res.destroyed) return;
    const headers = fault.headers ?? { "content-type": "application/json" };
    if (fault.reset) {
      res.writeHead(fault.status ?? 200, headers);
      res.write(fault.body ?? '{"partial": ');
      // Let the bytes written reach the client, then drop the connection before the response ends.
      await sleep(30);
      req.socket.destroy();
      return;
    }
    res.writeHead(fault.status ?? 200, headers);
    let rest = fault.body ?? "{}";
    if (fault.stallMs) {
      res.write(rest.slice(0, Math.floor(rest.length / 2)));
      rest = rest.slice(Math.floor(rest.length / 2));
      await wait(fault.stallMs);
      if (res.destroyed) return;
    }
    res.end(rest, () => {
      record.answered = true;
    });
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const port = /** @type {net.AddressInfo} */ (server.address()).port;

  /** Requests answered in full with a 2xx: what the sink can be said to have received. */
  const delivered = () => requests.filter((r) => r.answered && (r.fault.status ?? 200) < 300);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    delivered,
    /** Log events of delivered phospho `/v2/log/…` requests. */
    phosphoLogs: () => delivered().filter((r) => r.path.startsWith("/v2/log/")).flatMap((r) => JSON.parse(r.body.toString("utf8")).batched_log_events),
    /** Spans of delivered phospho `/v3/otl/…` requests. */
    phosphoSpans: () => delivered().filter((r) => r.path.startsWith("/v3/otl/")).flatMap((r) => decodeOtlpTraces(r.body)),
    /**
     * Stops the sink, then rejects if phospho's server (test/phospho-server/model.ts, loaded under vitest) would
     * refuse or lose part of the phospho requests it delivered: an event refused, a span lost, a failing Steps view.
     * @returns {Promise<void>}
     */
    close: async () => {
      await new Promise((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
      const problems = await serverModelProblems(delivered());
      if (problems.length) throw new Error(`faulty-sink: phospho's server would refuse or lose part of what it delivered:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    },
  };
}

/**
 * What phospho's server (its model, test/phospho-server/model.ts) would refuse or lose of these delivered requests;
 * nothing where the TypeScript model cannot load (plain node).
 * @param {SinkRequest[]} requests
 * @returns {Promise<string[]>}
 */
async function serverModelProblems(requests) {
  let model;
  try {
    model = await import("../phospho-server/model.ts");
  } catch {
    return [];
  }
  return model.phosphoProblems(requests.map((r) => ({ method: r.method, path: r.path, body: new Uint8Array(r.body) }))).problems;
}

/** `http://127.0.0.1:<port>` where nothing listens: connecting is refused. */
export async function closedPortUrl() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const port = /** @type {net.AddressInfo} */ (server.address()).port;
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return `http://127.0.0.1:${port}`;
}
