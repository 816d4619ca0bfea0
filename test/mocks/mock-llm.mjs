// Loopback mock of the OpenAI and Mistral HTTP APIs for tests and `npm start`: chat completions (streaming, tool calls),
// embeddings (float and base64), OpenAI's Responses API and legacy completions, Mistral's FIM and agents completions,
// Azure OpenAI deployment paths, `GET /v1/models`, and faults on demand (header `x-mock-fault`).
import http from "node:http";
import { fimReply, legacyCompletionReply, modelsList, responsesReply, words } from "./mock-llm-replies.mjs";

/**
 * @typedef {"openai" | "mistral"} Dialect
 * @typedef {{ dialect: Dialect | null, method: string, path: string, deployment?: string,
 *   headers: http.IncomingHttpHeaders, body: any }} RecordedRequest
 * @typedef {{ port?: number, delayMs?: number | ((request: RecordedRequest) => number),
 *   chunkDelayMs?: number, quiet?: boolean }} MockLlmOptions
 */

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
const countWords = (/** @type {string} */ s) => (s.match(/\S+/g) ?? []).length;

/** Dated snapshot names the real OpenAI API reports for common aliases. */
const OPENAI_SNAPSHOTS = /** @type {Record<string, string>} */ ({
  "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
  "gpt-4o": "gpt-4o-2024-08-06",
  "gpt-4.1": "gpt-4.1-2025-04-14",
  "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
  "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
  "gpt-3.5-turbo": "gpt-3.5-turbo-0125",
  "gpt-3.5-turbo-instruct": "gpt-3.5-turbo-instruct",
});

/** @param {string} model */
function openAiResponseModel(model) {
  if (OPENAI_SNAPSHOTS[model]) return OPENAI_SNAPSHOTS[model];
  return /-\d{4}-\d{2}-\d{2}$/.test(model) ? model : `${model}-2024-07-18`;
}

/** Text of a message's content: a string, or the text parts of a content array. */
function contentText(/** @type {any} */ content) {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((p) => p && (p.type === "text" || p.type === "input_text") && typeof p.text === "string")
    .map((p) => p.text)
    .join(" ");
}

/** Deterministic reply for the last user message (or the x-mock-reply header). */
/** The mock's answer to anything that asks for a story: long enough to stream in many chunks. */
const STORY = "Once upon a time, a teal otter floated on a quiet river, holding hands with a friend so neither would drift away. The end.";

function replyFor(/** @type {any[]} */ messages, /** @type {string | undefined} */ override) {
  if (override !== undefined) return override;
  const lastUser = [...messages].reverse().find((m) => m && m.role === "user");
  const text = contentText(lastUser?.content);
  if (/story/i.test(text)) return STORY;
  if (/color/i.test(text)) return "Teal";
  if (/animal/i.test(text)) return "Otter";
  return `Echo: ${text}`;
}

/** 8 deterministic floats per input, exactly representable as float32 (multiples of 1/256). */
function embeddingFor(/** @type {string} */ text) {
  let h = 2166136261;
  const out = [];
  for (let i = 0; i < 8; i++) {
    for (const ch of `${i}:${text}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out.push(((h % 512) - 256) / 256);
  }
  return out;
}

function float32Base64(/** @type {number[]} */ values) {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return Buffer.from(view.buffer).toString("base64");
}

/** Provider-shaped error body. */
function errorBody(/** @type {Dialect | null} */ dialect, /** @type {number} */ status, /** @type {string} */ message) {
  if (dialect === "mistral") {
    return { object: "error", message, type: status === 401 ? "invalid_request_error" : "internal_error", code: status === 401 ? "1000" : "3000" };
  }
  const type = status === 401 ? "invalid_request_error" : status === 404 ? "invalid_request_error" : "server_error";
  return { error: { message, type, param: null, code: status === 401 ? "invalid_api_key" : null } };
}

/**
 * Starts the mock on 127.0.0.1. Routes: /openai/v1/*, /v1/* (OpenAI) and /mistral/v1/* (Mistral).
 * @param {MockLlmOptions} [options]
 */
export async function startMockLlm(options = {}) {
  const { port = 0, delayMs = 0, chunkDelayMs = 0, quiet = Boolean(process.env.VITEST) } = options;
  /** @type {RecordedRequest[]} */
  const requests = [];
  let counter = 0;

  const server = http.createServer(async (req, res) => {
    req.socket.setNoDelay(true);
    const [path, query = ""] = (req.url ?? "/").split("#")[0].split("?");
    const { dialect, route, deployment } = routeOf(path);

    const chunks = [];
    for await (const c of req) chunks.push(c);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body = null;
    let badJson = false;
    if (raw) {
      try { body = JSON.parse(raw); } catch { body = raw; badJson = true; }
    }
    /** @type {RecordedRequest} */
    const record = { dialect, method: req.method ?? "GET", path, headers: req.headers, body };
    if (deployment) record.deployment = deployment;
    requests.push(record);
    if (!quiet) console.log(`[mock-llm] ${record.method} ${path}`);

    const wait = typeof delayMs === "function" ? delayMs(record) : delayMs;
    if (wait > 0) await sleep(wait);
    if (res.destroyed) return;

    /** @param {number} status @param {unknown} json */
    const sendJson = (status, json) => {
      const headers = { "content-type": "application/json" };
      if (dialect !== "mistral") Object.assign(headers, { "x-request-id": `req_mock_${++counter}` });
      res.writeHead(status, headers);
      res.end(JSON.stringify(json));
    };

    const notFound = () => sendJson(404, errorBody(dialect, 404, `mock has no route ${req.method} ${path}`));
    if (!dialect) return notFound();
    const auth = req.headers.authorization ?? "";
    // Azure OpenAI authenticates with an `api-key` header (or an Entra ID bearer token).
    const authorized = /^Bearer \S+/.test(auth) || (deployment !== undefined && Boolean(req.headers["api-key"]));
    if (!authorized) return sendJson(401, errorBody(dialect, 401, "missing or malformed Authorization: Bearer header"));
    if (deployment !== undefined && !new URLSearchParams(query).get("api-version")) {
      return sendJson(404, { error: { code: "404", message: "Resource not found" } });
    }
    if (req.method === "GET" && route === "/models") {
      return sendJson(200, modelsList(dialect === "mistral" ? ["mistral-small-latest", "codestral-latest"] : ["gpt-4o-mini", "gpt-4.1"]));
    }
    const routes = dialect === "mistral" ? MISTRAL_ROUTES : deployment !== undefined ? AZURE_ROUTES : OPENAI_ROUTES;
    if (req.method !== "POST" || !routes.includes(route)) return notFound();
    const forced = Number(req.headers["x-mock-status"]);
    if (forced >= 100 && forced <= 599) return sendJson(forced, errorBody(dialect, forced, "mock failure"));
    const fault = String(req.headers["x-mock-fault"] ?? "");
    if (fault === "html") {
      res.writeHead(502, { "content-type": "text/html" });
      return res.end("<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>");
    }
    if (badJson || !body || typeof body !== "object") return sendJson(400, errorBody(dialect, 400, "request body is not a JSON object"));
    if (fault === "bad-json") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end('{"id": "chatcmpl-broken", "choices": [');
    }

    const override = typeof req.headers["x-mock-reply"] === "string" ? req.headers["x-mock-reply"] : undefined;
    const n = ++counter;
    // Azure: the deployment stands for its model when the body names none.
    const request = deployment !== undefined && !body.model ? { ...body, model: "gpt-4o-mini" } : body;
    /** @type {{ full: any, events: { data: any, event?: string }[] }} */
    let reply;
    if (route === "/embeddings") return sendJson(200, embeddings(dialect, request, n));
    if (route === "/responses") {
      const model = openAiResponseModel(String(body.model ?? ""));
      const { full, events } = responsesReply(body, (question) => replyFor([{ role: "user", content: question }], override), model, n);
      reply = { full, events: events.map((data) => ({ data, event: data.type })) };
    } else if (route === "/completions") {
      const text = replyFor([{ role: "user", content: String(body.prompt ?? "") }], override);
      const { full, chunks: parts } = legacyCompletionReply(body, text, openAiResponseModel(String(body.model ?? "")), n);
      reply = { full, events: parts.map((data) => ({ data })) };
    } else if (route === "/fim/completions") {
      const { full, chunks: parts } = fimReply(body, override ?? "\n    return a + b\n", n);
      reply = { full, events: parts.map((data) => ({ data })) };
    } else {
      // Chat, Mistral agents (the agent's model answers), and Azure (which adds content-filter results).
      const chatBody = route === "/agents/completions" && !body.model ? { ...request, model: "mistral-medium-latest" } : request;
      const chat = chatReply(dialect, chatBody, override, n);
      if (deployment !== undefined) azureFilters(chat);
      reply = { full: chat.full, events: chat.chunks.map((data) => ({ data })) };
    }
    if (!body.stream) return sendJson(200, reply.full);

    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.flushHeaders();
    const events = reply.events;
    for (let i = 0; i < events.length; i++) {
      if (res.destroyed) return;
      // Faults: the connection drops halfway, or the provider reports an error inside the stream.
      if (i === Math.floor(events.length / 2) && fault === "cut") {
        // Let what was written reach the client first: a drop loses no bytes already sent.
        await sleep(30);
        return void res.socket?.destroy();
      }
      if (i === Math.floor(events.length / 2) && fault === "error-event") {
        const error = { message: "The server had an error while processing your request.", type: "server_error", code: "server_error" };
        res.write(route === "/responses" ? `event: error\ndata: ${JSON.stringify({ type: "error", ...error, param: null, sequence_number: i })}\n\n` : `data: ${JSON.stringify({ error })}\n\n`);
        return void res.end();
      }
      const { data, event } = events[i];
      res.write(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`);
      if (chunkDelayMs > 0) await sleep(chunkDelayMs);
    }
    // The Responses API ends with response.completed; the other streams with [DONE].
    if (!res.destroyed) res.end(route === "/responses" ? "" : "data: [DONE]\n\n");
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(undefined));
  });
  const actualPort = /** @type {import("node:net").AddressInfo} */ (server.address()).port;

  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    requests,
    /** @returns {Promise<void>} */
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const OPENAI_ROUTES = ["/chat/completions", "/embeddings", "/responses", "/completions"];
const AZURE_ROUTES = ["/chat/completions", "/embeddings", "/completions"];
const MISTRAL_ROUTES = ["/chat/completions", "/embeddings", "/fim/completions", "/agents/completions"];

/**
 * The dialect and route of a path: `/v1/…` and `/openai/v1/…` (OpenAI), `/mistral/v1/…` (Mistral),
 * `/openai/deployments/{d}/…` (Azure, by deployment) and `/openai/responses` (Azure's Responses API).
 * @param {string} path @returns {{ dialect: Dialect | null, route: string, deployment?: string }}
 */
function routeOf(path) {
  const v1 = /^\/(?:(openai|mistral)\/)?v1(\/.*)$/.exec(path);
  if (v1) return { dialect: /** @type {Dialect} */ (v1[1] ?? "openai"), route: v1[2] };
  const azure = /^\/openai\/deployments\/([^/]+)(\/.*)$/.exec(path);
  if (azure) return { dialect: "openai", route: azure[2], deployment: decodeURIComponent(azure[1]) };
  if (path === "/openai/responses") return { dialect: "openai", route: "/responses" };
  return { dialect: null, route: path };
}

/** Azure's chat replies carry content-filter results; its stream opens with a chunk that has no choices, only those. */
function azureFilters(/** @type {{ full: any, chunks: any[] }} */ chat) {
  const filters = { hate: { filtered: false, severity: "safe" }, self_harm: { filtered: false, severity: "safe" }, sexual: { filtered: false, severity: "safe" }, violence: { filtered: false, severity: "safe" } };
  chat.full.prompt_filter_results = [{ prompt_index: 0, content_filter_results: filters }];
  for (const choice of chat.full.choices) choice.content_filter_results = filters;
  chat.chunks.unshift({ id: "", object: "", created: 0, model: "", choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: filters }] });
}

/**
 * Builds the non-streaming response and the list of stream chunks for one chat request.
 * @param {Dialect} dialect @param {any} body @param {unknown} override @param {number} n
 */
function chatReply(dialect, body, override, n) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const tools = Array.isArray(body.tools) ? body.tools : [];
  const last = messages[messages.length - 1];
  const toolName = tools.length > 0 && last?.role !== "tool" ? String(tools[0]?.function?.name ?? "tool") : null;
  const args = JSON.stringify({ city: "Paris" });
  const text = toolName ? null : replyFor(messages, typeof override === "string" ? override : undefined);

  const promptTokens = messages.reduce((/** @type {number} */ sum, /** @type {any} */ m) => sum + countWords(contentText(m?.content)), 0);
  const completionTokens = countWords(text ?? args);
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const finish = toolName ? "tool_calls" : "stop";
  const created = Math.floor(Date.now() / 1000);
  const openai = dialect === "openai";
  const id = openai ? `chatcmpl-mock${String(n).padStart(6, "0")}` : `cmpl-mock${String(n).padStart(6, "0")}`;
  const model = openai ? openAiResponseModel(String(body.model ?? "")) : String(body.model ?? "");
  const toolCall = toolName && { id: "call_1", type: "function", function: { name: toolName, arguments: args } };

  const message = openai
    ? { role: "assistant", content: text, refusal: null, ...(toolCall ? { tool_calls: [toolCall] } : {}) }
    : { role: "assistant", content: text, tool_calls: toolCall ? [{ ...toolCall, index: 0 }] : null };
  const full = openai
    ? { id, object: "chat.completion", created, model, system_fingerprint: "fp_mock",
        choices: [{ index: 0, message, finish_reason: finish, logprobs: null }], usage }
    : { id, object: "chat.completion", created, model, choices: [{ index: 0, message, finish_reason: finish }], usage };

  // Streaming: role chunk, then content (or tool-call) deltas, then finish.
  const includeUsage = openai && body.stream_options?.include_usage === true;
  /** @returns {any} */
  const chunk = (/** @type {any} */ delta, /** @type {string | null} */ finishReason = null) => {
    const choice = openai ? { index: 0, delta, logprobs: null, finish_reason: finishReason } : { index: 0, delta, finish_reason: finishReason };
    return openai
      ? { id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_mock", choices: [choice], ...(includeUsage ? { usage: null } : {}) }
      : { id, object: "chat.completion.chunk", created, model, choices: [choice] };
  };
  /** @type {any[]} */
  const deltas = [];
  if (toolCall) {
    const cut1 = Math.ceil(args.length / 3);
    const cut2 = Math.ceil((2 * args.length) / 3);
    deltas.push({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: toolName, arguments: "" } }] });
    for (const part of [args.slice(0, cut1), args.slice(cut1, cut2), args.slice(cut2)]) {
      // OpenAI continuation fragments carry only index + arguments. Mistral's SDK schema requires
      // function.name on every tool call, so Mistral fragments repeat the id and send name "".
      deltas.push({ tool_calls: [openai
        ? { index: 0, function: { arguments: part } }
        : { index: 0, id: "call_1", type: "function", function: { name: "", arguments: part } }] });
    }
  } else {
    for (const word of words(/** @type {string} */ (text))) deltas.push({ content: word });
  }

  const chunks = [chunk({ role: "assistant", content: toolCall ? null : "" })];
  if (openai) {
    for (const d of deltas) chunks.push(chunk(d));
    chunks.push(chunk({}, finish));
    if (includeUsage) chunks.push({ ...chunk({}), choices: [], usage });
  } else {
    // Mistral: the last content chunk carries finish_reason and usage.
    if (deltas.length === 0) deltas.push({ content: "" });
    deltas.forEach((d, i) => {
      chunks.push(i === deltas.length - 1 ? { ...chunk(d, finish), usage } : chunk(d));
    });
  }
  return { full, chunks };
}

/** @param {Dialect} dialect @param {any} body @param {number} n */
function embeddings(dialect, body, n) {
  const input = body.input;
  /** @type {string[]} */
  let inputs;
  if (typeof input === "string") inputs = [input];
  else if (Array.isArray(input) && input.every((x) => typeof x === "number")) inputs = [input.join(" ")];
  else if (Array.isArray(input)) inputs = input.map((x) => (Array.isArray(x) ? x.join(" ") : String(x)));
  else inputs = [];
  const base64 = body.encoding_format === "base64";
  const data = inputs.map((text, index) => {
    const vector = embeddingFor(text);
    return { object: "embedding", index, embedding: base64 ? float32Base64(vector) : vector };
  });
  const promptTokens = inputs.reduce((sum, text) => sum + countWords(text), 0);
  const usage = dialect === "mistral"
    ? { prompt_tokens: promptTokens, completion_tokens: 0, total_tokens: promptTokens }
    : { prompt_tokens: promptTokens, total_tokens: promptTokens };
  return { id: `embd-mock${String(n).padStart(6, "0")}`, object: "list", data, model: String(body.model ?? ""), usage };
}
