// The Queue message format: a versioned envelope, written and read field by field, independent of the in-memory
// batch. Producer and consumer Workers may run different releases: a field travels only once it is listed here.
import type { ExportBatch, ExportedLog, ExportedScope, ExportedStep } from "../model/exporter.js";
import type { LlmCall } from "../model/records.js";

/**
 * One queue message, format 2: what `queueExporter` sends and `createQueueConsumer` reads. Every object in it
 * is written and read by a fixed list of fields (below), never by copying the in-memory batch, so a new field
 * of the batch travels only once someone decides it does. A reader ignores fields it does not know.
 *
 * Format 1 (releases before this one) was `{ type: "edge-tracer.batch", version: 1, batch }`, the in-memory
 * batch as it was then; the consumer still reads it (see {@link fromEnvelope}).
 */
export interface QueueEnvelope {
  /** The format version. The key also marks the message as edge-tracer's. */
  edge_tracer: typeof ENVELOPE_VERSION;
  /** What it holds. `batch`: logs with their steps, loose steps and scopes of one or more invocations. */
  kind: "batch";
  resource: { serviceName: string; environment?: string; versionId?: string };
  /** Root spans and `tracer()` blocks: `traceId`, `spanId`, `parentSpanId?`, `traceState?`, `name`, `isRoot`, `startTime`, `endTime`, `attributes`. */
  scopes: ExportedScope[];
  /** Logs in phospho's event shape (`task_id`, `session_id`, `input`, `output`, `metadata`…), each with its `steps`. */
  logs: ExportedLog[];
  /** Steps no log claimed. A step: ids, `name`, `kind`, `status`, times, `error?`, `inputText?`, `outputText?`, `metadata?`, `llm?`, `index`, `messagesLeftOut?`. */
  looseSteps: ExportedStep[];
  /**
   * Only on a message the consumer re-enqueued after some destinations took it: the ones still to deliver to,
   * by exporter name, with the parts that failed (phospho: `logs`, `steps`; none listed: all). Absent: every destination.
   */
  only?: PendingDestination[];
  /** How many times the consumer re-enqueued this batch. */
  requeued?: number;
}

/** A destination a re-enqueued message is still for: an exporter's name (`#2` for a second one of that name) and the parts it lacks. */
export interface PendingDestination {
  exporter: string;
  parts?: string[];
}

export const ENVELOPE_VERSION = 2;

// The fields that travel, per object. `Covers` fails to compile when the batch gains a field not listed here:
// add it to the list (it then travels under the same name) or map it, and bump the version if old readers would choke.
const RESOURCE_FIELDS = ["serviceName", "environment", "versionId"] as const;
const SCOPE_FIELDS = ["traceId", "spanId", "parentSpanId", "traceState", "name", "isRoot", "startTime", "endTime", "attributes"] as const;
const LOG_FIELDS = [
  "traceId", "spanId", "parentSpanId", "task_id", "session_id", "input", "output", "raw_input", "raw_output", "metadata", "createdAt",
  "user_id", "version_id", "flag", "environment", "steps",
] as const;
const STEP_FIELDS = [
  "traceId", "spanId", "parentSpanId", "name", "kind", "status", "startTime", "endTime", "firstTokenTime", "error", "inputText", "outputText",
  "metadata", "llm", "index", "messagesLeftOut",
] as const;
const LLM_FIELDS = [
  "provider", "operation", "method", "path", "serverAddress", "serverPort", "requestModel", "agentId", "prompt", "suffix", "embeddings", "errorCode",
  "params", "messages", "streamed", "httpStatus", "responseId", "responseModel", "systemFingerprint", "choices", "usage", "chunks", "lastTokenTime",
  "parseProblem",
] as const;
/** `true`, or the fields a list misses (`missing`) or names that the type lacks (`unknown`): the compiler shows them. */
type Covers<T, Fields extends readonly string[]> = [Exclude<keyof T, Fields[number]>, Exclude<Fields[number], keyof T>] extends [never, never]
  ? true
  : { missing: Exclude<keyof T, Fields[number]>; unknown: Exclude<Fields[number], keyof T> };
type Assert<T extends true> = T;
// A compile-time check only: it fails to compile, naming the fields, when a list and the batch disagree.
type FieldListsCoverTheBatch = [
  Assert<Covers<ExportBatch["resource"], typeof RESOURCE_FIELDS>>, Assert<Covers<ExportedScope, typeof SCOPE_FIELDS>>,
  Assert<Covers<ExportedLog, typeof LOG_FIELDS>>, Assert<Covers<ExportedStep, typeof STEP_FIELDS>>, Assert<Covers<LlmCall, typeof LLM_FIELDS>>,
];

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
/** A new object with the listed fields of `value` that are set: nothing else travels. */
const pick = (value: Json, fields: readonly string[]): Json => {
  const out: Json = {};
  for (const field of fields) if (value[field] !== undefined) out[field] = value[field];
  return out;
};

const stepToWire = (step: ExportedStep): Json => {
  const out = pick(step as unknown as Json, STEP_FIELDS);
  if (step.llm) out.llm = pick(step.llm as unknown as Json, LLM_FIELDS);
  return out;
};
const logToWire = (log: ExportedLog): Json => ({ ...pick(log as unknown as Json, LOG_FIELDS), steps: log.steps.map(stepToWire) });
const scopeToWire = (scope: ExportedScope): Json => pick(scope as unknown as Json, SCOPE_FIELDS);

/**
 * The message for a batch (format 2). Values JSON cannot hold (BigInt, cycles) are made plain by `splitBatch`.
 * @example queue.send(toEnvelope(batch), { contentType: "json" })
 */
export function toEnvelope(batch: ExportBatch, rest?: { only: PendingDestination[]; requeued: number }): QueueEnvelope {
  const envelope: QueueEnvelope = {
    edge_tracer: ENVELOPE_VERSION,
    kind: "batch",
    resource: pick(batch.resource, RESOURCE_FIELDS) as QueueEnvelope["resource"],
    scopes: batch.scopes.map(scopeToWire) as unknown as ExportedScope[],
    logs: batch.logs.map(logToWire) as unknown as ExportedLog[],
    looseSteps: batch.looseSteps.map(stepToWire) as unknown as ExportedStep[],
  };
  if (rest) Object.assign(envelope, { only: rest.only.map((item) => pick(item as unknown as Json, ["exporter", "parts"])), requeued: rest.requeued });
  return envelope;
}

/** What reading a message gave: a batch, or why there is none (`retryable`: a newer consumer could read it). */
export type ReadEnvelope =
  | { ok: true; version: number; batch: ExportBatch; only?: PendingDestination[]; requeued: number }
  | { ok: false; retryable: boolean; reason: string };

/**
 * Reads a queue message: format 2, or format 1 from older producers (whose `maxFieldBytes`, `semconv` and
 * per-step `taskId`/`sessionId`/`logMetadata` are dropped: steps are linked through the log that holds them).
 * Unknown fields are ignored. Never throws: a message that is not edge-tracer's, is malformed, or has a newer
 * format gives `ok: false` and the reason.
 *
 * @example
 * const read = fromEnvelope(message.body);
 * if (read.ok) await exporter.export(read.batch, options);
 */
export function fromEnvelope(message: unknown): ReadEnvelope {
  if (!isObject(message)) return notOurs();
  let version: unknown;
  let body: unknown;
  if ("edge_tracer" in message) [version, body] = [message.edge_tracer, message];
  else if (message.type === "edge-tracer.batch") [version, body] = [message.version, message.batch];
  else return notOurs();
  if (version !== 1 && version !== ENVELOPE_VERSION) {
    // A producer newer than this consumer: retried, it waits for the consumer's upgrade (or the dead-letter queue).
    return { ok: false, retryable: true, reason: `the message is edge-tracer queue format ${JSON.stringify(version)}, and this consumer reads formats 1 to ${ENVELOPE_VERSION}: deploy the producer's edge-tracer release (or a newer one) in the consumer` };
  }
  if (version === ENVELOPE_VERSION && (body as Json).kind !== "batch") {
    return { ok: false, retryable: true, reason: `the message is of kind ${JSON.stringify((body as Json).kind)}, which this consumer does not know: deploy a newer edge-tracer release in the consumer` };
  }
  try {
    const batch = readBatch(body);
    const { only, requeued } = body as Json;
    if (version === 1 || only === undefined) return { ok: true, version, batch, requeued: 0 };
    const pending = list(only, "only").map((item, i) => {
      const out = read(item, `only[${i}]`, ["exporter", "parts"], { exporter: "string" });
      if (out.parts !== undefined && !list(out.parts, `only[${i}].parts`).every((part) => typeof part === "string")) throw new Error(`only[${i}].parts holds something other than names`);
      return out as unknown as PendingDestination;
    });
    return { ok: true, version, batch, only: pending, requeued: typeof requeued === "number" ? requeued : 1 };
  } catch (error) {
    return { ok: false, retryable: false, reason: `the message is edge-tracer queue format ${version} but malformed: ${(error as Error).message}` };
  }
}

const notOurs = (): ReadEnvelope => ({ ok: false, retryable: false, reason: "it is not a batch sent by queueExporter" });

type Check = "string" | "number" | "boolean" | "object" | "array";
const kindOf = (value: unknown): string => (Array.isArray(value) ? "array" : value === null ? "null" : typeof value);

/** The listed fields of `value`, after checking the ones exporters rely on. Throws a message naming the field. */
function read(value: unknown, where: string, fields: readonly string[], required: Record<string, Check>): Json {
  if (!isObject(value)) throw new Error(`${where} is ${kindOf(value)}, not an object`);
  const out = pick(value, fields);
  for (const [field, check] of Object.entries(required)) {
    if (kindOf(out[field]) !== check) throw new Error(`${where}.${field} is ${kindOf(out[field])}, not ${check === "array" ? "an" : "a"} ${check}`);
  }
  return out;
}

const list = (value: unknown, where: string): unknown[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${where} is ${kindOf(value)}, not an array`);
  return value;
};

const IDS = { traceId: "string", spanId: "string" } as const;

function readStep(value: unknown, where: string): ExportedStep {
  const step = read(value, where, STEP_FIELDS, { ...IDS, name: "string", kind: "string", status: "string", startTime: "number", endTime: "number" });
  step.index ??= 0;
  if (step.llm !== undefined) step.llm = read(step.llm, `${where}.llm`, LLM_FIELDS, { provider: "string", operation: "string", params: "object", choices: "array" });
  return step as unknown as ExportedStep;
}

function readBatch(value: unknown): ExportBatch {
  if (!isObject(value)) throw new Error(`the batch is ${kindOf(value)}, not an object`);
  const resource = read(value.resource, "resource", RESOURCE_FIELDS, { serviceName: "string" });
  const scopes = list(value.scopes, "scopes").map((scope, i) => {
    const out = read(scope, `scopes[${i}]`, SCOPE_FIELDS, { ...IDS, name: "string", startTime: "number", endTime: "number" });
    out.isRoot = out.isRoot === true;
    out.attributes = isObject(out.attributes) ? out.attributes : {};
    return out as unknown as ExportedScope;
  });
  const logs = list(value.logs, "logs").map((entry, i) => {
    const where = `logs[${i}]`;
    const log = read(entry, where, LOG_FIELDS, { ...IDS, task_id: "string", session_id: "string", input: "string", createdAt: "number" });
    log.parentSpanId ??= "";
    log.output ??= null;
    log.metadata = isObject(log.metadata) ? log.metadata : {};
    log.steps = list(log.steps, `${where}.steps`).map((step, j) => readStep(step, `${where}.steps[${j}]`));
    return log as unknown as ExportedLog;
  });
  const looseSteps = list(value.looseSteps, "looseSteps").map((step, i) => readStep(step, `looseSteps[${i}]`));
  return { resource: resource as unknown as ExportBatch["resource"], scopes, logs, looseSteps };
}
