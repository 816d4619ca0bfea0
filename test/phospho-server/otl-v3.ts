// Model of phospho's POST /v3/otl/{project}: protobuf parse, attribute unpacking, id propagation, the gen_ai filter
// (api/v3/endpoints/log.py, services/integrations/opentelemetry.py), then the dashboard's check of each task's spans.
import protobuf from "protobufjs";
import { loadOtlpRoot } from "../mocks/otlp-schema.mjs";
import { append, contains, dictGet, getItem, isDict, isDigit, len, PyException, setItem, toJson, truthy,
  type Json, type PyDict, type PyValue } from "./python.js";
import { storedSpanProblems, taskViews, type StoredSpan } from "./task-view.js";

export type { StoredSpan };

export interface V3Result {
  /** 500 when the body is not a TracesData message (then nothing is processed). */
  status: 200 | 500;
  /** Spans in the request. */
  spans: number;
  stored: StoredSpan[];
  /** Spans of the request that are not stored. */
  lost: number;
  /** One line per thing lost or refused, each starting with its rule tag, e.g. `[v3.raise]`. */
  problems: string[];
  /** For each task id of the stored spans: "ok", or why the dashboard's Steps view of that task answers 500. */
  taskViews: Record<string, string>;
}

const TRACES_DATA = "opentelemetry.proto.trace.v1.TracesData";
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Python's protobuf refuses proto3 string fields that are not UTF-8; protobufjs reads them anyway. */
function invalidUtf8(type: protobuf.Type, bytes: Uint8Array, path: string): string | null {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = type.fieldsById[tag >>> 3];
    const nested = field?.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    if ((tag & 7) === 2 && field && (field.type === "string" || nested)) {
      const chunk = reader.bytes();
      if (nested) {
        const bad = invalidUtf8(nested, chunk, `${path}.${field.name}`);
        if (bad) return bad;
      } else {
        try {
          strictUtf8.decode(chunk);
        } catch {
          return `${path}.${field.name}`;
        }
      }
    } else reader.skipType(tag & 7);
  }
  return null;
}

type AnyObj = { value?: string; stringValue?: string; intValue?: string; boolValue?: boolean; doubleValue?: number;
  arrayValue?: { values?: AnyObj[] }; kvlistValue?: { values?: { key?: string; value?: AnyObj }[] }; bytesValue?: string };

const double = (d: number): PyValue => (Number.isNaN(d) ? "NaN" : d === Infinity ? "Infinity" : d === -Infinity ? "-Infinity" : d);

/** `MessageToDict(any_value)`: `{stringValue: …}`, `{intValue: "3"}`, `{}` when empty. */
function anyValueDict(any: AnyObj): PyDict {
  const kind = any.value;
  if (kind === "arrayValue") return new Map([[kind, arrayDict(any.arrayValue?.values ?? [])]]);
  if (kind === "kvlistValue") {
    const values = any.kvlistValue?.values ?? [];
    const entries = values.map((kv): PyValue => new Map<string, PyValue>([
      ...(kv.key ? [["key", kv.key] as [string, PyValue]] : []),
      ...(kv.value ? [["value", anyValueDict(kv.value)] as [string, PyValue]] : []),
    ]));
    return new Map(entries.length ? [[kind, new Map([["values", entries]])]] : [[kind, new Map()]]);
  }
  if (kind === "doubleValue") return new Map([[kind, double(any.doubleValue!)]]);
  if (kind && kind in any) return new Map([[kind, (any as Record<string, PyValue>)[kind]!]]);
  return new Map();
}
const arrayDict = (values: AnyObj[]): PyDict => (values.length ? new Map([["values", values.map(anyValueDict)]]) : new Map());

/** The value `_convert_attributes` keeps for one attribute, or undefined for the types it logs and skips. */
function attributeValue(any: AnyObj): PyValue | undefined {
  switch (any.value) {
    case "stringValue": return any.stringValue!;
    case "intValue": return any.intValue!; // MessageToDict writes int64 as a string
    case "boolValue": return any.boolValue!;
    case "doubleValue": return double(any.doubleValue!);
    case "arrayValue": return arrayDict(any.arrayValue?.values ?? []);
    default: return undefined; // kvlistValue, bytesValue, empty AnyValue: "Unknown value type", skipped
  }
}

/**
 * `_convert_attributes`, step by step: dotted keys become nested dicts, a digit-only segment makes its parent a
 * list. Raises (PyException) where Python raises, e.g. `user` then `user.tier`. `notes` collects silent losses.
 */
export function convertAttributes(attributes: { key?: string; value?: AnyObj | null }[], notes: string[] = []): PyDict {
  const root: PyDict = new Map();
  for (const attribute of attributes) {
    const key = attribute.key ?? "";
    if (!attribute.value) throw new PyException("KeyError", `'value' (attribute \`${key}\` has no value)`);
    const value = attributeValue(attribute.value);
    if (value === undefined) {
      notes.push(`attribute \`${key}\`: ${attribute.value.value ?? "empty value"} is not a type the server reads: skipped`);
      continue;
    }
    try {
      unpack(root, key, value, notes);
    } catch (err) {
      if (err instanceof PyException) throw new PyException(err.pyType, `${err.message.replace(/^\w+: /, "")} (at attribute \`${key}\`)`);
      throw err;
    }
  }
  return root;
}

/** One attribute of `_convert_attributes`' loop, line for line. */
function unpack(root: PyDict, key: string, value: PyValue, notes: string[]): void {
  const keys = key.split(".");
  let current: PyValue = root;
  for (let i = 0; i < keys.length - 1; i++) {
    const part = keys[i]!;
    const next = keys[i + 1]!;
    if (isDigit(part)) continue;
    if (!contains(current, part)) setItem(current, part, isDigit(next) ? [] : new Map());
    if (isDigit(next)) {
      const index = Number(next);
      if (len(getItem(current, part)) < index + 1) append(getItem(current, part), new Map());
      try {
        current = getItem(getItem(current, part), index);
      } catch (err) {
        if (!(err instanceof PyException && err.pyType === "IndexError")) throw err;
        notes.push(`attribute \`${key}\`: index ${next} skips a position of \`${part}\`: the rest of the key lands one level up`);
        continue;
      }
    } else current = getItem(current, part);
  }
  const last = keys.at(-1)!;
  if (isDict(current) && current.has(last)) {
    const before = current.get(last)!;
    notes.push(`attribute \`${key}\` replaces ${isDict(before) || Array.isArray(before) ? "the keys nested under it" : "an earlier value"}`);
  }
  setItem(current, last, value);
}

interface Processing { name: string; spanId: string; start: bigint; attributes: PyDict; taskId: PyValue; sessionId: PyValue; metadata: PyValue; propagate: PyValue }

/**
 * Replays phospho's /v3/otl on the raw request body.
 *
 * @example checkV3Otl(bytes).problems // ["[v3.raise] TypeError: … in span \"chat\": … no span of this request is stored"]
 */
export function checkV3Otl(bytes: Uint8Array): V3Result {
  const type = loadOtlpRoot().lookupType(TRACES_DATA);
  const refused = (why: string): V3Result => ({ status: 500, spans: 0, stored: [], lost: 0, problems: [`[v3.500] body refused: ${why}`], taskViews: {} });
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (err) {
    return refused(`TracesData.FromString raises: ${(err as Error).message}`);
  }
  const badString = invalidUtf8(type, bytes, "TracesData");
  if (badString) return refused(`${badString} is not valid UTF-8`);
  const data = type.toObject(message, { longs: String, bytes: String, oneofs: true, arrays: true }) as {
    resourceSpans: { scopeSpans: { spans: { name?: string; spanId?: string; startTimeUnixNano?: string; attributes: { key?: string; value?: AnyObj }[] }[] }[] }[];
  };
  const raw = data.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));

  const problems: string[] = [];
  const all: Processing[] = [];
  try {
    for (const span of raw) {
      const label = `span "${span.name ?? ""}"`;
      const notes: string[] = [];
      let attributes: PyDict;
      try {
        attributes = convertAttributes(span.attributes, notes);
      } catch (err) {
        if (err instanceof PyException) throw new PyException(err.pyType, `${err.message.replace(/^\w+: /, "")} in ${label}`);
        throw err;
      } finally {
        for (const note of notes) problems.push(`[v3.attribute] ${label}: ${note}`);
      }
      const entry: Processing = { name: span.name ?? "", spanId: Buffer.from(span.spanId ?? "", "base64").toString("hex"),
        start: BigInt(span.startTimeUnixNano ?? "0"), attributes, taskId: null, sessionId: null, metadata: null, propagate: false };
      if (contains(attributes, "phospho")) {
        const phospho = getItem(attributes, "phospho");
        try {
          entry.taskId = dictGet(phospho, "task_id");
          entry.sessionId = dictGet(phospho, "session_id");
          entry.metadata = dictGet(phospho, "metadata");
          entry.propagate = dictGet(phospho, "propagate");
        } catch (err) {
          throw new PyException("AttributeError", `${(err as Error).message.replace(/^\w+: /, "")} (\`phospho\` is not a dict in ${label})`);
        }
      }
      all.push(entry);
    }
  } catch (err) {
    if (!(err instanceof PyException)) throw err;
    problems.push(`[v3.raise] ${err.message}: the server's processing raises, no span of this request is stored`);
    return { status: 200, spans: raw.length, stored: [], lost: raw.length, problems, taskViews: {} };
  }

  // Newest first (a stable sort, like Python's), then ids flow from a `phospho.propagate` span to the older ones.
  all.sort((a, b) => (a.start === b.start ? 0 : a.start > b.start ? -1 : 1));
  let trace = { taskId: null as PyValue, sessionId: null as PyValue, metadata: null as PyValue };
  const stored: StoredSpan[] = [];
  for (const span of all) {
    if (truthy(span.propagate)) trace = { taskId: span.taskId, sessionId: span.sessionId, metadata: span.metadata };
    if (span.taskId === null) span.taskId = trace.taskId;
    if (span.sessionId === null) span.sessionId = trace.sessionId;
    if (span.metadata === null) span.metadata = trace.metadata;
    if (!span.attributes.has("gen_ai")) {
      problems.push(`[v3.no-gen-ai] span "${span.name}" has no gen_ai.* attribute: discarded`);
      continue;
    }
    stored.push({ name: span.name, spanId: span.spanId, taskId: toJson(span.taskId), sessionId: toJson(span.sessionId),
      metadata: toJson(span.metadata), propagate: toJson(span.propagate), startTimeUnixNano: String(span.start), attributes: toJson(span.attributes) });
  }
  problems.push(...storedSpanProblems(stored));
  const views = taskViews(stored);
  for (const [taskId, view] of Object.entries(views)) if (view !== "ok") problems.push(`[v3.view] task ${taskId}: the dashboard's Steps view answers ${view}`);
  return { status: 200, spans: raw.length, stored, lost: raw.length - stored.length, problems, taskViews: views };
}
