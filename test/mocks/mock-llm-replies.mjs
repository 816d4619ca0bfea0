// Reply builders of mock-llm for the endpoints beyond chat completions, in the providers' documented shapes:
// OpenAI's Responses API (JSON and its typed SSE events), legacy completions, and Mistral's FIM completions.

const countWords = (/** @type {string} */ s) => (s.match(/\S+/g) ?? []).length;

/** Splits text into stream pieces: each word with its following whitespace. */
export function words(/** @type {string} */ text) {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

/** Text of a Responses API input: a string, or the text parts of its items (`input_text`, or plain string content). */
function inputText(/** @type {any} */ input) {
  if (typeof input === "string") return input;
  if (!Array.isArray(input)) return "";
  const lastUser = [...input].reverse().find((item) => item && item.role === "user");
  const content = lastUser?.content;
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.filter((p) => p && (p.type === "input_text" || p.type === "text")).map((p) => p.text).join(" ");
}

/**
 * The Responses API: the full response object and the events of its stream, in order
 * (created, in_progress, output item and content part added, deltas, done events, completed).
 * @param {any} body @param {(text: string) => string} reply @param {string} model @param {number} n
 */
export function responsesReply(body, reply, model, n) {
  const id = `resp_mock${String(n).padStart(6, "0")}`;
  const created = Math.floor(Date.now() / 1000);
  const tools = Array.isArray(body.tools) ? body.tools.filter((/** @type {any} */ t) => t?.type === "function") : [];
  const input = Array.isArray(body.input) ? body.input : [];
  const answered = input.some((/** @type {any} */ item) => item?.type === "function_call_output");
  const toolName = tools.length > 0 && !answered ? String(tools[0].name ?? "tool") : null;
  const args = JSON.stringify({ city: "Paris" });
  const question = inputText(body.input);
  const text = toolName ? null : reply(question);
  const inputTokens = countWords(question) + countWords(typeof body.instructions === "string" ? body.instructions : "");
  const outputTokens = countWords(text ?? args);
  const usage = {
    input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: inputTokens + outputTokens,
  };
  const itemId = toolName ? `fc_mock${String(n).padStart(6, "0")}` : `msg_mock${String(n).padStart(6, "0")}`;
  const part = (/** @type {string} */ t) => ({ type: "output_text", text: t, annotations: [], logprobs: [] });
  /** @type {any} */
  const item = toolName
    ? { type: "function_call", id: itemId, call_id: "call_1", name: toolName, arguments: args, status: "completed" }
    : { type: "message", id: itemId, status: "completed", role: "assistant", content: [part(/** @type {string} */ (text))] };
  /** @param {string} status @param {any[]} output @param {any} use */
  const response = (status, output, use) => ({
    id, object: "response", created_at: created, status, error: null, incomplete_details: null,
    instructions: body.instructions ?? null, max_output_tokens: body.max_output_tokens ?? null, model,
    output, parallel_tool_calls: true, previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null }, store: body.store ?? true, temperature: body.temperature ?? 1,
    text: { format: { type: "text" } }, tool_choice: body.tool_choice ?? "auto", tools: body.tools ?? [], top_p: body.top_p ?? 1,
    truncation: "disabled", usage: use, user: null, metadata: {},
  });
  const full = response("completed", [item], usage);

  /** @type {any[]} */
  const events = [];
  const push = (/** @type {any} */ event) => events.push({ ...event, sequence_number: events.length });
  push({ type: "response.created", response: response("in_progress", [], null) });
  push({ type: "response.in_progress", response: response("in_progress", [], null) });
  if (toolName) {
    push({ type: "response.output_item.added", output_index: 0, item: { ...item, arguments: "", status: "in_progress" } });
    const cut = Math.ceil(args.length / 2);
    for (const delta of [args.slice(0, cut), args.slice(cut)]) push({ type: "response.function_call_arguments.delta", item_id: itemId, output_index: 0, delta });
    push({ type: "response.function_call_arguments.done", item_id: itemId, output_index: 0, arguments: args });
  } else {
    const t = /** @type {string} */ (text);
    push({ type: "response.output_item.added", output_index: 0, item: { ...item, status: "in_progress", content: [] } });
    push({ type: "response.content_part.added", item_id: itemId, output_index: 0, content_index: 0, part: part("") });
    for (const delta of words(t)) push({ type: "response.output_text.delta", item_id: itemId, output_index: 0, content_index: 0, delta, logprobs: [] });
    push({ type: "response.output_text.done", item_id: itemId, output_index: 0, content_index: 0, text: t, logprobs: [] });
    push({ type: "response.content_part.done", item_id: itemId, output_index: 0, content_index: 0, part: part(t) });
  }
  push({ type: "response.output_item.done", output_index: 0, item });
  push({ type: "response.completed", response: full });
  return { full, events };
}

/**
 * Legacy completions: `choices[].text`; streamed, each chunk carries the next piece in `text`.
 * @param {any} body @param {string} text @param {string} model @param {number} n
 */
export function legacyCompletionReply(body, text, model, n) {
  const id = `cmpl-mock${String(n).padStart(6, "0")}`;
  const created = Math.floor(Date.now() / 1000);
  const prompt = typeof body.prompt === "string" ? body.prompt : Array.isArray(body.prompt) ? body.prompt.join(" ") : "";
  const usage = { prompt_tokens: countWords(prompt), completion_tokens: countWords(text), total_tokens: countWords(prompt) + countWords(text) };
  const base = { id, object: "text_completion", created, model };
  const full = { ...base, choices: [{ text, index: 0, logprobs: null, finish_reason: "stop" }], usage };
  const includeUsage = body.stream_options?.include_usage === true;
  const chunks = words(text).map((piece) => ({ ...base, choices: [{ text: piece, index: 0, logprobs: null, finish_reason: null }] }));
  chunks.push({ ...base, choices: [{ text: "", index: 0, logprobs: null, finish_reason: "stop" }] });
  if (includeUsage) chunks.push({ ...base, choices: [], usage });
  return { full, chunks };
}

/**
 * Mistral FIM: chat-completion-shaped, the middle between `prompt` and `suffix` as the assistant's content.
 * @param {any} body @param {string} text @param {number} n
 */
export function fimReply(body, text, n) {
  const id = `cmpl-fim${String(n).padStart(6, "0")}`;
  const created = Math.floor(Date.now() / 1000);
  const model = String(body.model ?? "");
  const promptTokens = countWords(String(body.prompt ?? "")) + countWords(String(body.suffix ?? ""));
  const usage = { prompt_tokens: promptTokens, completion_tokens: countWords(text), total_tokens: promptTokens + countWords(text) };
  const full = {
    id, object: "chat.completion", model, created, usage,
    choices: [{ index: 0, message: { role: "assistant", content: text, tool_calls: null, prefix: false }, finish_reason: "stop" }],
  };
  const pieces = words(text);
  const chunks = [{ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] }];
  pieces.forEach((content, i) => {
    const last = i === pieces.length - 1;
    chunks.push({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta: { content }, finish_reason: last ? "stop" : null }], ...(last ? { usage } : {}) });
  });
  return { full, chunks };
}

/** Models list (`GET /v1/models`), both dialects. */
export function modelsList(/** @type {string[]} */ ids) {
  return { object: "list", data: ids.map((id) => ({ id, object: "model", created: 1700000000, owned_by: "system" })) };
}
