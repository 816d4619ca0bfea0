// Durable delivery: each invocation's batch goes to a Cloudflare Queue as a versioned JSON envelope, split under
// the 128 KB message limit; a consumer Worker (createQueueConsumer) reads it back and forwards it to phospho or OTLP.
// Producer and consumer may run different releases, so the envelope is a schema of its own (queue-envelope.ts).
import { sanitize } from "../util/serialize.js";
import { describeError } from "../util/warn.js";
import { emptyResult, type ExportBatch, type Exporter } from "../model/exporter.js";
import { exportError } from "./http.js";
import { toEnvelope, type QueueEnvelope } from "./queue-envelope.js";

/** The part of a Queue binding we use (Cloudflare's `Queue`). */
export interface QueueLike {
  send(body: unknown, options?: { contentType?: "json" | "text" | "bytes" | "v8"; delaySeconds?: number }): Promise<unknown>;
}

/**
 * The most JSON bytes we put in one message. Cloudflare Queues refuse messages over 128 KB (128 000 bytes),
 * and up to ~100 bytes of their metadata count towards it: keep 1 000 bytes of margin.
 */
export const MAX_MESSAGE_BYTES = 127_000;
const DESTINATION = "queue";
const brand = Symbol.for("edge-tracer.queue-exporter");

const encoder = /*@__PURE__*/ new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).byteLength;

/**
 * Sends each invocation's batch to a Cloudflare Queue instead of a backend, so traces survive a backend
 * outage: a consumer Worker made with `createQueueConsumer` forwards them, retrying per message. Each message
 * is a {@link QueueEnvelope} (format 2). A batch over 128 KB is split into several messages by log (a log travels
 * with its steps); a single log still too big is counted as dropped, with the reason.
 *
 * @example
 * // wrangler.toml: [[queues.producers]] binding = "TRACES", queue = "edge-tracer-traces"
 * export default instrument(handler, (env) => ({ exporters: [queueExporter(env.TRACES)] }));
 */
export function queueExporter(queue: QueueLike): Exporter {
  if (typeof queue?.send !== "function") {
    throw new TypeError("edge-tracer: queueExporter(queue): `queue` must be a Queue binding with a `send` method, such as `env.TRACES` (wrangler.toml: [[queues.producers]] binding = \"TRACES\").");
  }
  const exporter: Exporter & { [brand]: true } = {
    name: DESTINATION,
    [brand]: true,
    async export(batch, options) {
      const result = emptyResult();
      const drop = (reason: string, count: number, retryable: boolean) => {
        result.dropped += count;
        result.errors.push(exportError(DESTINATION, reason, count, { retryable }));
      };
      const { messages, tooBig } = splitBatch(batch);
      for (const item of tooBig) drop(item.reason, item.count, false);
      await Promise.all(
        messages.map(async (message) => {
          // A failed or unconfirmed send may go through later: the queue's own outage, or the budget spent.
          const failure = await sendWithin(queue, message.body, options.signal);
          if (failure) drop(failure, message.count, true);
          else result.sent += message.count;
        }),
      );
      return result;
    },
  };
  return exporter;
}

/** One queue message: its JSON-safe body and how many logs and steps it carries. */
export interface QueueMessagePlan {
  body: QueueEnvelope;
  count: number;
  bytes: number;
}

interface Unit {
  kind: "scopes" | "logs" | "looseSteps";
  json: string;
  bytes: number;
  count: number;
  label: string;
}

/**
 * Splits a batch into envelopes of at most `maxBytes` bytes of JSON each. Scopes come first, then each log with
 * its steps, then loose steps; every message repeats the batch's resource, so it stands alone.
 * @internal Exported for tests.
 */
export function splitBatch(batch: ExportBatch, maxBytes = MAX_MESSAGE_BYTES): { messages: QueueMessagePlan[]; tooBig: Array<{ reason: string; count: number }> } {
  const wire = toEnvelope(batch);
  const units: Unit[] = [
    ...wire.scopes.map((scope, i) => unit("scopes", scope, 0, `scope ${batch.scopes[i]!.name}`)),
    ...wire.logs.map((log, i) => unit("logs", log, 1 + log.steps.length, `log ${batch.logs[i]!.task_id} with its ${log.steps.length} step(s)`)),
    ...wire.looseSteps.map((step, i) => unit("looseSteps", step, 1, `step ${batch.looseSteps[i]!.name}`)),
  ];
  const shellJson = toJson({ ...wire, scopes: [], logs: [], looseSteps: [] });
  const shellBytes = byteLength(shellJson);
  const messages: QueueMessagePlan[] = [];
  const tooBig: Array<{ reason: string; count: number }> = [];
  let current: Unit[] = [];
  let currentBytes = shellBytes;
  const close = () => {
    if (current.length) messages.push(message(shellJson, current));
    current = [];
    currentBytes = shellBytes;
  };
  for (const item of units) {
    // One comma per unit over-counts by at most one per array: the real message is never larger.
    const size = item.bytes + 1;
    if (shellBytes + size > maxBytes) {
      tooBig.push({ reason: `${item.label} is ${shellBytes + size} bytes as a queue message, over the ${maxBytes} bytes a Cloudflare Queues message can carry (128 KB less its metadata): not enqueued (a smaller \`maxFieldBytes\` makes logs smaller)`, count: item.count });
      continue;
    }
    if (currentBytes + size > maxBytes) close();
    current.push(item);
    currentBytes += size;
  }
  close();
  return { messages, tooBig };
}

function unit(kind: Unit["kind"], value: unknown, count: number, label: string): Unit {
  const json = toJson(value);
  return { kind, json, bytes: byteLength(json), count, label };
}

function message(shellJson: string, units: Unit[]): QueueMessagePlan {
  const body = JSON.parse(shellJson) as QueueEnvelope;
  for (const item of units) (body[item.kind] as unknown[]).push(JSON.parse(item.json));
  return { body, count: units.reduce((sum, item) => sum + item.count, 0), bytes: byteLength(JSON.stringify(body)) };
}

/** JSON text of an envelope part. The batch is already JSON-safe; anything that is not (BigInt, a cycle) is made so. */
function toJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, item) => (typeof item === "bigint" ? item.toString() : item));
  } catch {
    return JSON.stringify(sanitize(value, "batch").value);
  }
}

/** Sends one message; resolves to a reason when it failed, or undefined. Gives up when the flush budget is spent. */
async function sendWithin(queue: QueueLike, body: QueueEnvelope, signal: AbortSignal): Promise<string | undefined> {
  if (signal.aborted) return "flush budget spent before the message was sent to the queue";
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<string>((resolve) => {
    onAbort = () => resolve("flush budget spent before the queue confirmed the message (it may still be enqueued)");
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const sent = Promise.resolve()
      .then(() => queue.send(body, { contentType: "json" }))
      .then(() => undefined, (error: unknown) => `queue.send failed: ${describeError(error)}`);
    return await Promise.race([sent, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort!);
  }
}

/** True for an exporter made by {@link queueExporter}: a consumer must not send batches back to a queue. */
export function isQueueExporter(exporter: Exporter): boolean {
  return (exporter as Exporter & { [brand]?: boolean })[brand] === true;
}

/** How many logs and steps a batch holds: what ExportResult counts. */
export function countOf(batch: ExportBatch): number {
  return batch.logs.reduce((n, log) => n + 1 + log.steps.length, 0) + batch.looseSteps.length;
}
