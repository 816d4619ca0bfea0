// Strict loopback mock of phospho's ingestion API (POST /v2/log/{projectId} JSON logs, POST /v3/otl/{projectId} OTLP protobuf traces) for tests.
import { appendFileSync } from "node:fs";
import http from "node:http";
import { decodeOtlpTraces } from "./otlp-schema.mjs";

/**
 * @typedef {import("./otlp-schema.mjs").OtlpSpan} OtlpSpan
 * @typedef {{ method: string, path: string, headers: http.IncomingHttpHeaders,
 *   receivedAt: number, finishedAt: number | null, status: number | null, body: Uint8Array }} PhosphoRequest
 * @typedef {{ logs: Record<string, any>[], spans: OtlpSpan[], requests: PhosphoRequest[], errors: string[], serverModelProblems: string[] }} PhosphoState
 * @typedef {{ apiKey: string, projectId: string, port?: number, delayMs?: number,
 *   status?: number, failFirst?: { count: number, status?: number, retryAfter?: string }, quiet?: boolean,
 *   serverModel?: "strict" | "record" }} MockPhosphoOptions
 */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
const isPlainObject = (/** @type {unknown} */ v) => typeof v === "object" && v !== null && !Array.isArray(v);
const typeName = (/** @type {unknown} */ v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
/** Short description of a value for error messages, e.g. `number 1700000000000`. */
const show = (/** @type {unknown} */ v) => {
  const json = String(JSON.stringify(v)).slice(0, 80);
  return v === null ? "null" : `${typeName(v)} ${json}`;
};

/**
 * Problems with one log event, mirroring the backend's pydantic LogEvent model
 * (fields typed `X | None` there accept null here too; task_id, client_created_at and
 * environment are not nullable there). Unknown keys are accepted (extra="allow").
 * @param {unknown} event
 * @returns {string[]}
 */
export function logEventProblems(event) {
  if (!isPlainObject(event)) return [`event must be an object, got ${show(event)}`];
  const e = /** @type {Record<string, unknown>} */ (event);
  /** @type {string[]} */
  const problems = [];
  const has = (/** @type {string} */ k) => Object.prototype.hasOwnProperty.call(e, k);
  /** @param {string} key @param {(v: unknown) => boolean} ok @param {string} expected */
  const check = (key, ok, expected) => {
    if (has(key) && !ok(e[key])) problems.push(`${key} must be ${expected}, got ${show(e[key])}`);
  };
  const str = (/** @type {unknown} */ v) => typeof v === "string";
  const strOrNull = (/** @type {unknown} */ v) => v === null || typeof v === "string";

  if (!has("input")) problems.push("input is required");
  check("input", str, "a string");
  check("output", strOrNull, "a string or null");
  check("task_id", str, "a string");
  check("session_id", strOrNull, "a string or null");
  check("project_id", strOrNull, "a string or null");
  check("metadata", (v) => v === null || isPlainObject(v), "a plain object or null");
  check("version_id", strOrNull, "a string or null");
  check("user_id", strOrNull, "a string or null");
  check("environment", str, "a string");
  check("step_id", strOrNull, "a string or null");
  check("flag", (v) => v === null || v === "success" || v === "failure", '"success" or "failure"');
  for (const key of ["raw_input", "raw_output"]) {
    const nullItems = key === "raw_output";
    check(key, (v) => v === null || typeof v === "string" || isPlainObject(v) ||
      (Array.isArray(v) && (v.every((x) => isPlainObject(x) || (nullItems && x === null)) ||
        v.every((x) => typeof x === "string" || (nullItems && x === null)))),
    "an object, a string, or an array of objects / of strings");
  }
  for (const key of ["created_at", "last_update"]) check(key, (v) => v === null || Number.isInteger(v), "an integer");
  if (has("client_created_at")) {
    const v = e.client_created_at;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      problems.push(`client_created_at must be an integer (unix seconds), got ${show(v)}`);
    } else if (v > 1e11) {
      problems.push(`client_created_at ${v} looks like milliseconds; phospho expects unix SECONDS`);
    } else if (v < 0) {
      problems.push(`client_created_at ${v} is negative`);
    }
  }
  return problems;
}

/**
 * Problems with one decoded OTLP span.
 * @param {OtlpSpan} span
 * @returns {string[]}
 */
export function spanProblems(span) {
  /** @type {string[]} */
  const problems = [];
  const zero = (/** @type {string} */ h) => /^0*$/.test(h);
  if (span.traceId.length !== 32 || zero(span.traceId)) problems.push(`trace id must be 16 non-zero bytes, got "${span.traceId}"`);
  if (span.spanId.length !== 16 || zero(span.spanId)) problems.push(`span id must be 8 non-zero bytes, got "${span.spanId}"`);
  if (span.parentSpanId !== "" && span.parentSpanId.length !== 16) problems.push(`parent span id must be empty or 8 bytes, got "${span.parentSpanId}"`);
  if (!span.name) problems.push("span name is empty");
  const start = BigInt(span.startTimeUnixNano);
  const end = BigInt(span.endTimeUnixNano);
  if (start === 0n) problems.push("start_time_unix_nano is 0");
  if (end === 0n) problems.push("end_time_unix_nano is 0 (span never ended?)");
  if (start > end) problems.push(`start_time_unix_nano ${start} is after end_time_unix_nano ${end}`);
  return problems;
}

/**
 * Loads the model of phospho's server (test/phospho-server/model.ts). It is TypeScript: vitest's transform loads it,
 * plain node (npm start, bench) cannot, and then the mock runs without it. Under vitest it also loads vitest's
 * `expect`, to name the test behind each problem.
 * @returns {Promise<{ model: any, expect: any } | { unavailable: string }>}
 */
async function loadServerModel() {
  try {
    const model = await import("../phospho-server/model.ts");
    const expect = process.env.VITEST ? (await import("vitest")).expect : undefined;
    return { model, expect };
  } catch (err) {
    return { unavailable: /** @type {Error} */ (err).message };
  }
}

/**
 * Reports the model's problems when PHOSPHO_SERVER_MODEL_REPORT is set: "1" writes them to stderr, anything else is a
 * file that gets one JSON line per problem ({ test, file, problem }).
 * @param {any} expect @param {string[]} problems
 */
function reportServerModelProblems(expect, problems) {
  const target = process.env.PHOSPHO_SERVER_MODEL_REPORT;
  if (!target || !problems.length) return;
  const { test, file } = currentTest(expect);
  if (target === "1") {
    for (const problem of problems) process.stderr.write(`[phospho-model] ${file ?? ""} > ${test ?? "(no test)"}: ${problem}\n`);
  } else {
    appendFileSync(target, problems.map((problem) => JSON.stringify({ file, test, problem }) + "\n").join(""));
  }
}

/**
 * The test running now, as vitest's `expect` knows it (nulls outside a test).
 * @param {any} expect
 * @returns {{ test: string | null, file: string | null }}
 */
function currentTest(expect) {
  let state = {};
  try {
    state = expect?.getState() ?? {};
  } catch {} // outside a test
  const { currentTestName: test = null, testPath: file = null } = /** @type {{ currentTestName?: string, testPath?: string }} */ (state);
  return { test, file };
}

/**
 * Starts the strict phospho mock on 127.0.0.1.
 * @param {MockPhosphoOptions} options
 */
export async function startMockPhospho(options) {
  const { apiKey, projectId, port = 0, delayMs = 0, status, failFirst, quiet = Boolean(process.env.VITEST), serverModel = "strict" } = options ?? {};
  if (!apiKey || !projectId) throw new Error("startMockPhospho: apiKey and projectId are required");
  /** @type {PhosphoState} */
  const state = { logs: [], spans: [], requests: [], errors: [], serverModelProblems: [] };
  // The server model sees every request that reaches a route (as phospho would process it), whatever this mock answers.
  const loaded = await loadServerModel();
  const serverStore = "model" in loaded ? loaded.model.createServerStore() : null;
  /** How many of state.serverModelProblems a test has taken (asserted); strict mode fails close() on the rest. */
  let problemsTaken = 0;
  /** The test behind each problem, by its index in state.serverModelProblems. */
  /** @type {string[]} */
  const problemTests = [];
  let taskCounter = 0;
  let failuresLeft = failFirst?.count ?? 0;

  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const where = `${req.method} ${path}`;
    /** @type {PhosphoRequest} */
    const record = { method: req.method ?? "GET", path, headers: req.headers, receivedAt: Date.now(), finishedAt: null, status: null, body: new Uint8Array(0) };
    state.requests.push(record);
    res.on("finish", () => { record.finishedAt = Date.now(); record.status = res.statusCode; });
    if (!quiet) console.log(`[mock-phospho] ${where}`);

    /** @param {number} code @param {unknown} json @param {string} [error] */
    const reply = (code, json, error) => {
      if (error) state.errors.push(`${where}: ${error}`);
      if (res.destroyed) return;
      res.writeHead(code, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    };

    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    record.body = new Uint8Array(body);
    if (delayMs > 0) await sleep(delayMs);

    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      const got = req.headers.authorization === undefined ? "no authorization header" : `authorization "${req.headers.authorization}"`;
      return reply(401, { detail: "Invalid token" }, `401: expected "Bearer <apiKey>", got ${got}`);
    }
    if (status !== undefined) return reply(status, { detail: `mock-phospho forced status ${status}` });
    if (failuresLeft > 0) {
      failuresLeft--;
      const failStatus = failFirst?.status ?? 503;
      if (failFirst?.retryAfter !== undefined) res.setHeader("retry-after", failFirst.retryAfter);
      return reply(failStatus, { detail: `mock-phospho failing on purpose (${failStatus})` });
    }

    const m = /^\/(v2\/log|v3\/otl)\/([^/]+)\/?$/.exec(path);
    if (!m || req.method !== "POST") return reply(404, { detail: "Not Found" }, "404: no such route");
    if (decodeURIComponent(m[2]) !== projectId) {
      return reply(404, { detail: "Project not found" }, `404: unknown project id "${m[2]}" (expected "${projectId}")`);
    }
    if (serverStore) {
      try {
        const problems = serverStore.add({ method: record.method, path, headers: req.headers, body: record.body })
          .map((/** @type {string} */ problem) => `${where}: ${problem}`);
        const { test } = currentTest(/** @type {any} */ (loaded).expect);
        for (const problem of problems) problemTests[state.serverModelProblems.push(problem) - 1] = test ?? "(no test running)";
        reportServerModelProblems(/** @type {any} */ (loaded).expect, problems);
      } catch (err) {
        state.serverModelProblems.push(`${where}: [model.crash] the server model threw: ${/** @type {Error} */ (err).stack}`);
      }
    }
    const encoding = req.headers["content-encoding"];
    if (encoding && encoding !== "identity") {
      return reply(415, { detail: "Unsupported content-encoding" }, `415: content-encoding "${encoding}" is not supported by the mock`);
    }
    const contentType = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();

    if (m[1] === "v3/otl") {
      if (contentType !== "application/x-protobuf") {
        return reply(415, { detail: "Unsupported media type" }, `415: content-type must be application/x-protobuf, got "${contentType}"`);
      }
      let spans;
      try {
        spans = decodeOtlpTraces(body);
      } catch (err) {
        return reply(400, { detail: "Invalid protobuf" }, `400: body is not an ExportTraceServiceRequest: ${/** @type {Error} */ (err).message}`);
      }
      for (const span of spans) {
        for (const p of spanProblems(span)) state.errors.push(`${where}: span "${span.name}" (${span.spanId}): ${p}`);
        state.spans.push(span);
      }
      return reply(200, {});
    }

    // v2/log: JSON body {batched_log_events: [...]}, validated per event like the backend.
    if (contentType && contentType !== "application/json" && !contentType.endsWith("+json")) {
      return reply(422, { detail: "Expected a JSON body" }, `422: content-type must be application/json, got "${contentType}"`);
    }
    let parsed;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch (err) {
      return reply(422, { detail: [{ type: "json_invalid", msg: "JSON decode error" }] }, `422: malformed JSON body: ${/** @type {Error} */ (err).message}`);
    }
    if (!isPlainObject(parsed) || !Array.isArray(parsed.batched_log_events)) {
      return reply(422, { detail: [{ type: "missing", loc: ["body", "batched_log_events"], msg: "Field required" }] },
        `422: body must be {batched_log_events: [...]}, got ${JSON.stringify(parsed).slice(0, 200)}`);
    }
    const logged = parsed.batched_log_events.map((/** @type {any} */ event, /** @type {number} */ i) => {
      const problems = logEventProblems(event);
      if (problems.length > 0) {
        const message = `event[${i}]: ${problems.join("; ")}`;
        state.errors.push(`${where}: ${message}`);
        return { error_in_log: message };
      }
      state.logs.push(event);
      return { ...event, project_id: projectId, task_id: event.task_id ?? `task_mock_${++taskCounter}` };
    });
    return reply(200, { logged_events: logged });
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(undefined));
  });
  const actualPort = /** @type {import("node:net").AddressInfo} */ (server.address()).port;

  /**
   * Polls every 20 ms until predicate(state) is truthy; resolves with its value.
   * @template T
   * @param {(state: PhosphoState) => T} predicate
   * @param {number} [timeoutMs]
   * @returns {Promise<NonNullable<T>>}
   */
  async function waitFor(predicate, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    let lastError = "";
    for (;;) {
      try {
        const value = predicate(state);
        if (value) return /** @type {NonNullable<T>} */ (value);
      } catch (err) {
        lastError = ` (predicate last threw: ${/** @type {Error} */ (err).message})`;
      }
      if (Date.now() >= deadline) {
        const recent = state.errors.slice(-3).map((e) => `\n  - ${e}`).join("");
        throw new Error(
          `mock-phospho waitFor timed out after ${timeoutMs} ms${lastError}: ${state.logs.length} logs, ` +
            `${state.spans.length} spans, ${state.requests.length} requests, ${state.errors.length} errors${recent}`,
        );
      }
      await sleep(20);
    }
  }

  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    logs: state.logs,
    spans: state.spans,
    requests: state.requests,
    errors: state.errors,
    serverModelProblems: state.serverModelProblems,
    serverModel: "model" in loaded ? "on" : `unavailable: ${loaded.unavailable}`,
    /** @returns {any} */
    serverModelSummary: () => serverStore?.summary() ?? null,
    /**
     * The server model's problems not taken yet, which this call takes: a test that sends a bad payload on purpose
     * asserts them, so that close() does not fail on them.
     * @returns {string[]}
     */
    takeServerModelProblems: () => {
      const taken = state.serverModelProblems.slice(problemsTaken);
      problemsTaken = state.serverModelProblems.length;
      return taken;
    },
    waitFor,
    /**
     * Stops the server. With `serverModel: "strict"` (the default), then rejects if the model found a problem no test
     * took: an event refused, a span lost, a task whose Steps view fails, a task logged twice, spans of no task.
     * @returns {Promise<void>}
     */
    close: async () => {
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
      if (serverModel !== "strict" || !serverStore) return;
      // Problems that show only across requests (spans of a task no log created) are counted once the mock stops.
      for (const problem of serverStore.summary().problems) {
        if (problem.startsWith("[cross.unlogged-task]")) problemTests[state.serverModelProblems.push(`(across requests): ${problem}`) - 1] = "(across requests)";
      }
      const left = state.serverModelProblems.slice(problemsTaken);
      if (!left.length) return;
      const lines = left.map((problem, i) => `  - ${problemTests[problemsTaken + i] ?? ""}: ${problem}`);
      problemsTaken = state.serverModelProblems.length;
      throw new Error(`mock-phospho: phospho's server (test/phospho-server/model.ts) would refuse or lose part of what this test file sent:\n${lines.join("\n")}`);
    },
  };
}
