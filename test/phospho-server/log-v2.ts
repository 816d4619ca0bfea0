// Model of phospho's POST /v2/log/{project}: the loose batch parse, the strict per-event parse, and what is stored
// (api/v2/endpoints/log.py, api/v2/models/log.py, services/log.py in phospho-app/phospho backend/phospho_backend).

export interface V2Options {
  /** The project id of the URL; an event naming another project is reported. */
  projectId?: string;
  /** The server's clock, unix seconds. Default: now. */
  now?: number;
}

/** What the server keeps of one accepted event: the task it creates (or skips, see `V2Result.tasksCreated`). */
export interface StoredLog {
  taskId: string;
  /** The event had no task_id: the server made one. */
  taskIdGenerated: boolean;
  /** `null` when the server makes one (`session_<uuid>`). */
  sessionId: string | null;
  projectId: string | null;
  /** Task creation time, unix seconds, after the server's correction. */
  createdAt: number;
  /** The client's time was negative or more than 24 h ahead (milliseconds, say) and was replaced by now. */
  createdAtReplaced: boolean;
  input: string;
  output: string | null;
  flag: string | null;
  /** The task's metadata: the event's, plus its top-level keys that are not Task fields (user_id, version_id, extras…). */
  metadata: Record<string, unknown>;
  /** Top-level keys the task does not keep, being names of Task fields the server does not copy (`environment`…); only its raw logs do. */
  droppedKeys: string[];
  /** Top-level keys lost because `metadata` already has that key with another value. */
  shadowedKeys: string[];
  /** The token counts missing from the metadata, which the server estimates with a tokenizer. */
  estimatedTokens: string[];
  tokensEstimated: boolean;
}

export type V2Event = { ok: true; stored: StoredLog } | { ok: false; error_in_log: string };

export interface V2Result {
  /** 422 when the loose parse of the whole body fails: no event of the batch is kept. */
  status: 200 | 422;
  events: V2Event[];
  /** False when the background processing raises (token estimate): no task and no session of this request exist. */
  tasksCreated: boolean;
  /** One line per thing lost or refused, each starting with its rule tag, e.g. `[v2.strict]`. */
  problems: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const has = (o: Obj, k: string) => Object.prototype.hasOwnProperty.call(o, k);
/** JSON.stringify writes integers below 1e21 without a dot or exponent, so Python's json.loads reads them as int. */
const isPyInt = (v: unknown) => typeof v === "number" && Number.isInteger(v) && Math.abs(v) < 1e21;

function pyType(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return isPyInt(v) ? "int" : "float";
  return Array.isArray(v) ? "list" : "dict";
}
function repr(v: unknown): string {
  const text = v === null ? "None" : v === true ? "True" : v === false ? "False" : typeof v === "string" ? `'${v}'` : JSON.stringify(v);
  return text.length > 50 ? `${text.slice(0, 47)}...` : text;
}

/** A pydantic check: null when the value fits, else `message [type=…]`. */
type Check = (v: unknown) => string | null;
const str: Check = (v) => (typeof v === "string" ? null : "Input should be a valid string [type=string_type");
const int: Check = (v) => (isPyInt(v) ? null : "Input should be a valid integer [type=int_type");
const dict: Check = (v) => (isObj(v) ? null : "Input should be a valid dictionary [type=dict_type");
const flag: Check = (v) => (v === "success" || v === "failure" ? null : "Input should be 'success' or 'failure' [type=literal_error");
const listOf = (item: Check): Check => (v) => (Array.isArray(v) && v.every((x) => item(x) === null) ? null : "bad list");
const union = (expected: string, ...members: Check[]): Check => (v) =>
  members.some((m) => m(v) === null) ? null : `Input should be ${expected} [type=union_tag_invalid`;
const optional = (check: Check): Check => (v) => (v === null ? null : check(v));

/** pydantic's LogEvent, validated with strict=True; a key left out takes its default and is not checked. */
const LOG_EVENT: [string, Check][] = [
  ["project_id", optional(str)],
  ["input", str],
  ["output", optional(str)],
  ["client_created_at", int],
  ["created_at", optional(int)],
  ["last_update", optional(int)],
  ["metadata", optional(dict)],
  ["session_id", optional(str)],
  ["task_id", str],
  ["step_id", optional(str)],
  ["version_id", optional(str)],
  ["user_id", optional(str)],
  ["flag", optional(flag)],
  ["test_id", optional(str)],
  ["raw_input", optional(union("a dict, a string, a list of dicts or a list of strings", dict, str, listOf(dict), listOf(str)))],
  ["raw_input_type_name", optional(str)],
  ["raw_output", optional(union("a dict, a string, a list of dicts or None or a list of strings or None", dict, str, listOf(optional(dict)), listOf(optional(str))))],
  ["raw_output_type_name", optional(str)],
  ["environment", str],
];

/** Fields of phospho's Task model (phospho/models.py): these top-level names never go to the metadata. */
const TASK_FIELDS = new Set(["id", "created_at", "org_id", "project_id", "session_id", "input", "additional_input", "output",
  "additional_output", "metadata", "data", "flag", "last_eval", "human_eval", "sentiment", "language", "events",
  "environment", "notes", "test_id", "topics", "task_position", "is_last_task"]);
/** The Task fields that create_task_from_logevent fills from the event. */
const TASK_FIELDS_COPIED = new Set(["project_id", "created_at", "session_id", "input", "output", "metadata", "flag", "test_id"]);
/** tiktoken refuses text containing these (disallowed_special="all"): cl100k_base's special tokens. */
const SPECIAL_TOKENS = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|endofprompt|>"];

/** Stage 1, FastAPI's parse of the body as LogRequest (lax): the errors of the whole body. */
function looseErrors(body: unknown): string[] {
  if (!isObj(body)) return [`body: Input should be a valid dictionary or object [type=model_attributes_type, input_type=${pyType(body)}]`];
  if (!has(body, "batched_log_events")) return ["body.batched_log_events: Field required [type=missing]"];
  const events = body.batched_log_events;
  if (!Array.isArray(events)) return [`body.batched_log_events: Input should be a valid list [type=list_type, input_type=${pyType(events)}]`];
  const errors: string[] = [];
  events.forEach((event, i) => {
    const at = `body.batched_log_events.${i}`;
    if (!isObj(event)) return void errors.push(`${at}: Input should be a valid dictionary or instance of MinimalLogEvent [type=model_type]`);
    if (!has(event, "input")) errors.push(`${at}.input: Field required [type=missing]`);
    // Lax str still takes only str (bytes never come from JSON): a number is not turned into text.
    for (const key of ["input", "output", "project_id"]) {
      const v = event[key];
      if (!has(event, key) || (key !== "input" && v === null)) continue;
      if (typeof v !== "string") errors.push(`${at}.${key}: Input should be a valid string [type=string_type, input_value=${repr(v)}, input_type=${pyType(v)}]`);
    }
  });
  return errors;
}

/** Stage 2, `LogEvent.model_validate(event, strict=True)`: the error text the server returns as error_in_log, or null. */
function strictError(event: Obj): string | null {
  const errors: string[] = [];
  for (const [key, check] of LOG_EVENT) {
    if (!has(event, key)) continue;
    const message = check(event[key]);
    if (message) errors.push(`${key}\n  ${message}, input_value=${repr(event[key])}, input_type=${pyType(event[key])}]`);
  }
  if (!errors.length) return null;
  return `${errors.length} validation error${errors.length > 1 ? "s" : ""} for LogEvent\n${errors.join("\n")}`;
}

/** Why `tokenizer.encode(value)` raises, or null. */
function encodeRaises(value: unknown): string | null {
  if (typeof value !== "string") return `TypeError: expected string, got ${pyType(value)}`;
  const token = SPECIAL_TOKENS.find((t) => value.includes(t));
  return token ? `ValueError: text contains the special token ${token}` : null;
}
/** Why `num_tokens_from_messages` raises: it encodes every value of every message. */
function messagesRaise(messages: Obj[]): string | null {
  for (const [i, message] of messages.entries()) {
    for (const [key, value] of Object.entries(message)) {
      const why = encodeRaises(value);
      if (why) return `message ${i} key \`${key}\`: ${why}`;
    }
  }
  return null;
}
/** get_nb_tokens_prompt_tokens, which has no try around its list and plain-input branches: why it raises, or null. */
function promptEstimateRaises(event: Obj): string | null {
  const rawInput = event.raw_input;
  const rawOutput = event.raw_output;
  if (isObj(rawInput)) {
    // Inside a try: a failure here falls through to encoding `input`.
    const usage = isObj(rawOutput) ? (has(rawOutput, "usage") ? rawOutput.usage : {}) : undefined;
    const usageTruthy = usage !== undefined && usage !== null && usage !== false && usage !== 0 && usage !== "" &&
      !(Array.isArray(usage) && !usage.length) && !(isObj(usage) && !Object.keys(usage).length);
    if (isObj(rawOutput) && usageTruthy && isObj(usage)) return null;
    if (!isObj(rawOutput)) {
      const messages = has(rawInput, "messages") ? rawInput.messages : [];
      if (Array.isArray(messages) && messages.every(isObj) && !messagesRaise(messages)) return null;
    }
  }
  if (Array.isArray(rawInput)) {
    if (rawInput.every((x) => typeof x === "string")) {
      const bad = rawInput.map(encodeRaises).find(Boolean);
      return bad ? `raw_input list of strings: ${bad}` : null;
    }
    if (rawInput.every(isObj)) {
      const bad = messagesRaise(rawInput);
      return bad ? `raw_input list of messages: ${bad}` : null;
    }
  }
  const bad = encodeRaises(event.input);
  return bad ? `input: ${bad}` : null;
}

/** What services/log.py makes of one valid event (collect_metadata, get_time_created_at, create_task_from_logevent). */
function store(event: Obj, projectId: string | undefined, now: number): StoredLog {
  const sent = (k: string) => has(event, k);
  const taskId = sent("task_id") ? (event.task_id as string) : "(generated by the server)";
  const dumped: Obj = {
    project_id: event.project_id ?? projectId ?? null, input: event.input, output: event.output ?? null,
    client_created_at: sent("client_created_at") ? event.client_created_at : now, created_at: event.created_at ?? null,
    last_update: event.last_update ?? null, metadata: event.metadata ?? {}, session_id: event.session_id ?? null,
    task_id: taskId, step_id: event.step_id ?? null, version_id: event.version_id ?? null, user_id: event.user_id ?? null,
    flag: event.flag ?? null, test_id: event.test_id ?? null, raw_input: event.raw_input ?? null,
    raw_input_type_name: event.raw_input_type_name ?? null, raw_output: event.raw_output ?? null,
    raw_output_type_name: event.raw_output_type_name ?? null, environment: sent("environment") ? event.environment : "default environment",
  };
  for (const key of Object.keys(event)) if (!has(dumped, key)) dumped[key] = event[key];

  const metadata: Obj = { ...((event.metadata as Obj | null) ?? {}) };
  const shadowedKeys: string[] = [];
  for (const [key, value] of Object.entries(dumped)) {
    if (TASK_FIELDS.has(key) || key === "raw_input" || key === "raw_output") continue;
    if (!has(metadata, key)) metadata[key] = value;
    else if (sent(key) && JSON.stringify(metadata[key]) !== JSON.stringify(value)) shadowedKeys.push(key);
  }
  const estimatedTokens = ["prompt_tokens", "completion_tokens", "total_tokens"].filter((k) => !has(metadata, k));
  const droppedKeys = Object.keys(event).filter((k) => TASK_FIELDS.has(k) && !TASK_FIELDS_COPIED.has(k));

  const clientTime = (event.created_at ?? dumped.client_created_at) as number;
  const createdAtReplaced = clientTime < 0 || clientTime > now + 24 * 60 * 60;
  return {
    taskId, taskIdGenerated: !sent("task_id"), sessionId: (event.session_id as string | null | undefined) ?? null,
    projectId: dumped.project_id as string | null, createdAt: createdAtReplaced ? now : clientTime, createdAtReplaced,
    input: event.input as string, output: (event.output as string | null | undefined) ?? null, flag: (event.flag as string | null | undefined) ?? null,
    metadata, droppedKeys, shadowedKeys, estimatedTokens, tokensEstimated: estimatedTokens.length > 0,
  };
}

/**
 * Replays phospho's /v2/log on a parsed JSON body.
 *
 * @example checkV2Log({ batched_log_events: [{ input: "hi", user_id: 42 }] }).events[0] // { ok: false, error_in_log: "1 validation error for LogEvent\nuser_id…" }
 */
export function checkV2Log(body: unknown, options: V2Options = {}): V2Result {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const loose = looseErrors(body);
  if (loose.length) return { status: 422, events: [], tasksCreated: false, problems: loose.map((e) => `[v2.422] whole batch refused: ${e}`) };

  const problems: string[] = [];
  let tasksCreated = true;
  const events = ((body as Obj).batched_log_events as Obj[]).map((event, i): V2Event => {
    const error = strictError(event);
    if (error) {
      problems.push(`[v2.strict] event ${i} refused: ${error.split("\n").slice(1).join(" ").replace(/\s+/g, " ")}`);
      return { ok: false, error_in_log: error };
    }
    const stored = store(event, options.projectId, now);
    const at = `event ${i} (task ${stored.taskId})`;
    if (options.projectId !== undefined && typeof event.project_id === "string" && event.project_id !== options.projectId) {
      problems.push(`[v2.project] ${at}: project_id "${event.project_id}" is not the URL's "${options.projectId}": refused unless the key's org owns it, and stored there if so`);
    }
    if (stored.createdAtReplaced) problems.push(`[v2.created-at] ${at}: time ${event.created_at ?? event.client_created_at} is negative or more than 24 h ahead (milliseconds?): replaced by the server's now`);
    for (const key of stored.droppedKeys) {
      // Nothing is lost when the event's metadata carries the same value (the exporter sends `environment` there too).
      if (JSON.stringify(stored.metadata[key]) === JSON.stringify(event[key])) continue;
      problems.push(`[v2.dropped] ${at}: top-level \`${key}\` names a Task field the server does not copy: not on the task`);
    }
    for (const key of stored.shadowedKeys) problems.push(`[v2.shadowed] ${at}: top-level \`${key}\` is ignored because metadata.${key} holds another value`);
    if (!has(stored.metadata, "prompt_tokens")) {
      const why = promptEstimateRaises(event);
      if (why && tasksCreated) {
        tasksCreated = false;
        problems.push(`[v2.tokens-raise] ${at}: estimating prompt_tokens raises (${why}): no task and no session of this request is created`);
      }
    }
    return { ok: true, stored };
  });
  return { status: 200, events, tasksCreated, problems };
}

/**
 * Replays /v2/log on raw bytes as FastAPI reads them: JSON only when the content type is absent, `application/json`
 * or `application/*+json`; anything else, or bytes that are not JSON, is a 422.
 */
export function checkV2LogBytes(bytes: Uint8Array, contentType: string | undefined, options: V2Options = {}): V2Result {
  const refuse = (why: string): V2Result => ({ status: 422, events: [], tasksCreated: false, problems: [`[v2.422] whole batch refused: ${why}`] });
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type && type !== "application/json" && !/^application\/.*\+json$/.test(type)) return refuse(`content-type "${type}" is not JSON, so the body is not parsed`);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    return refuse(`JSON decode error (${(err as Error).message}) [type=json_invalid]`);
  }
  return checkV2Log(body, options);
}
