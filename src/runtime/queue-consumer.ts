// createQueueConsumer: the queue() handler of a consumer Worker. It forwards the batches queueExporter
// enqueued to phospho or OTLP, acking each message once every destination took it, retrying it when an
// error says `retryable`, and acking (after saying so) one that can never be delivered. When some destinations
// (or some parts, such as phospho's logs) took it and others did not, it re-sends only the rest. It traces nothing itself.
import { now } from "../util/clock.js";
import { resolveConfig, type ResolvedConfig, type TracerConfig } from "../model/config.js";
import { describeError, guard } from "../util/warn.js";
import { ConfigError } from "../errors/config-error.js";
import { consoleExporter } from "../exporters/console.js";
import type { Exporter, ExportResult } from "../model/exporter.js";
import { exportError, type ExportError, type PartsOptions } from "../exporters/http.js";
import { phosphoExporter } from "../exporters/phospho.js";
import { countOf, isQueueExporter, type QueueLike } from "../exporters/queue.js";
import { fromEnvelope, toEnvelope, type PendingDestination, type QueueEnvelope } from "../exporters/queue-envelope.js";

/** The part of a Queues `Message` we use. */
export interface QueueMessageLike {
  readonly id: string;
  readonly body: unknown;
  /** How many times the platform has delivered it, this time included. */
  readonly attempts?: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** The part of a Queues `MessageBatch` we use. */
export interface MessageBatchLike {
  readonly queue: string;
  readonly messages: readonly QueueMessageLike[];
}

/** What `createQueueConsumer` returns: spread it into, or export it as, the consumer Worker's default export. */
export interface QueueConsumer<Env = unknown> {
  queue(batch: MessageBatchLike, env: Env, ctx?: unknown): Promise<void>;
}

/** Options of {@link createQueueConsumer} beyond the tracer config. */
export interface QueueConsumerOptions<Env = unknown> {
  /**
   * A producer binding of the queue this consumer reads (wrangler.toml: a `[[queues.producers]]` entry for it in
   * the consumer Worker). With it, a message that some destinations took and others did not is acked and what
   * is left goes back to the queue as a new message, for those destinations only. Without it, the whole message
   * is retried, and the destinations that took it get it again (phospho then counts those logs twice in its
   * session totals).
   */
  requeue?: (env: Env) => QueueLike | undefined;
  /** How long a re-enqueued message waits, in seconds. Default 30. */
  requeueDelaySeconds?: number;
}

/** What becomes of one message: `errors` that may pass, `lost` what never will (reported), `rest` a smaller message to send instead of a retry. */
interface Outcome {
  errors: ExportError[];
  lost: ExportError[];
  rest?: QueueEnvelope;
}

interface Setup {
  config: ResolvedConfig;
  exporters: readonly Exporter[];
}

/** Messages exported at once: each phospho export opens two connections, workerd allows six per invocation. */
const CONCURRENCY = 3;

/**
 * Makes the `queue()` handler of a consumer Worker for the queue `queueExporter` sends to. Each message is
 * exported to every destination of `config` (its `exporters`, or phospho with `apiKey` and `projectId`) within
 * `flushTimeoutMs`. What becomes of the message is decided from the exporters' errors alone: acked when every
 * destination accepted it, retried when an error is `retryable` (network error, 408, 429, 5xx, budget spent, an
 * exporter that threw, a message of a newer format: set `max_retries` and a `dead_letter_queue`), and acked when
 * every failure is permanent (another 4xx, an event the backend refused, a message that is not a batch), with
 * one console line per queue batch and `onExportError` per failure, so it never loops.
 *
 * A message that only some destinations took is not retried whole where that would send twice what was taken:
 * with `options.requeue`, it is acked and a new message carrying the same batch, marked for the destinations
 * (and parts, for phospho: `logs`, `steps`) that failed, is sent to the queue after `requeueDelaySeconds`.
 * Each such message is for strictly fewer destinations than the one before, and a message none of whose
 * destinations took anything is retried as is, so the queue's `max_retries` still bounds the whole.
 *
 * @example
 * // consumer Worker; wrangler.toml: [[queues.consumers]] queue = "edge-tracer-traces", and a
 * // [[queues.producers]] binding = "TRACES" for the same queue, so what failed can be re-enqueued alone
 * export default createQueueConsumer((env) => ({ apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID }), { requeue: (env) => env.TRACES });
 * // or next to other handlers: export default { fetch, ...createQueueConsumer(config) };
 */
export function createQueueConsumer<Env = unknown>(config: TracerConfig | ((env: Env) => TracerConfig), options: QueueConsumerOptions<Env> = {}): QueueConsumer<Env> {
  if (options.requeue !== undefined && typeof options.requeue !== "function") {
    throw new ConfigError("requeue", "edge-tracer: `requeue` of createQueueConsumer must be a function of env returning the producer binding of the queue it reads, such as `(env) => env.TRACES`.");
  }
  const delaySeconds = options.requeueDelaySeconds ?? 30;
  if (!(delaySeconds >= 0 && delaySeconds <= 43_200)) {
    throw new ConfigError("requeueDelaySeconds", "edge-tracer: `requeueDelaySeconds` of createQueueConsumer must be a number of seconds from 0 to 43200 (Queues' longest delay), such as 30.");
  }
  // A config object is checked now, so a mistake fails the deploy's first load rather than every batch.
  const fixed = typeof config === "function" ? undefined : setupFrom(config);
  const perEnv = new WeakMap<object, Setup>();
  const setupFor = (env: Env): Setup => {
    if (fixed) return fixed;
    const cached = env && typeof env === "object" ? perEnv.get(env) : undefined;
    if (cached) return cached;
    const made = setupFrom((config as (env: Env) => TracerConfig)(env));
    if (env && typeof env === "object") perEnv.set(env, made);
    return made;
  };

  return {
    // A plain closure, not a method: it keeps working when spread into another object.
    queue: async (batch, env) => {
      // A config error throws: the platform retries the whole batch and shows the error.
      const setup = setupFor(env);
      const requeue = options.requeue?.(env);
      const queue = typeof requeue?.send === "function" ? requeue : undefined;
      const retried: ExportError[] = [];
      const requeued: ExportError[] = [];
      const lost: ExportError[] = [];
      let retriedMessages = 0;
      let requeuedMessages = 0;
      let resent = false;
      let lostMessages = 0;
      await forEachLimited(batch.messages, CONCURRENCY, async (message) => {
        const outcome = await deliver(message, setup);
        let failure: string | undefined;
        if (outcome.errors.length && outcome.rest && queue) {
          failure = await queue.send(outcome.rest, { contentType: "json", delaySeconds }).then(() => undefined, describeError);
          if (!failure) requeuedMessages++, requeued.push(...outcome.errors);
        }
        if (!outcome.errors.length || (outcome.rest && queue && !failure)) {
          // Acked: what was refused for good will not be sent again, so it is reported now, once.
          for (const error of outcome.lost) guard("onExportError", () => setup.config.onExportError?.(error), undefined);
          lost.push(...outcome.lost);
          if (outcome.lost.some((error) => !error.stored)) lostMessages++;
          return message.ack();
        }
        // Retried as is: the destinations that took part of it get it again, its refusals are reported next time.
        if (failure) retried.push(exportError("queue consumer", `re-enqueueing what message ${message.id} did not deliver failed (${failure}): the whole message is retried`, 0, { retryable: true }));
        if (outcome.rest) resent = true;
        retriedMessages++;
        retried.push(...outcome.errors, ...outcome.lost);
        message.retry();
      });
      const where = `[edge-tracer] queue consumer (${batch.queue})`;
      if (retriedMessages) {
        const again = resent ? " (destinations that took part of it get it again: pass `requeue` to createQueueConsumer to re-send only what failed)" : "";
        console.warn(`${where}: ${retriedMessages} message(s) will be retried${again}: ${summarize(retried)}`);
      }
      if (requeuedMessages) {
        console.warn(`${where}: ${requeuedMessages} message(s) were delivered in part; what failed goes back to the queue, for those destinations only, in ${delaySeconds} s: ${summarize(requeued)}`);
      }
      if (lost.length) {
        const log = lostMessages ? console.error : console.warn;
        log(`${where}: ${lostMessages ? `${lostMessages} message(s) cannot be delivered and were acknowledged` : "the destinations refused part of what they stored"}: ${summarize(lost)}`);
      }
    },
  };
}

function setupFrom(input: TracerConfig): Setup {
  const config = resolveConfig(input);
  const exporters = config.exporters ?? [
    config.apiKey && config.projectId
      ? phosphoExporter({ apiKey: config.apiKey, projectId: config.projectId, baseUrl: config.baseUrl })
      : consoleExporter(),
  ];
  if (exporters.some(isQueueExporter)) {
    throw new ConfigError("exporters", "edge-tracer: `exporters` of createQueueConsumer include a queueExporter, which would send every batch back to a queue. Fix: pass the destinations the consumer should deliver to, such as `[phosphoExporter({ apiKey, projectId })]` or `[otlp({ url })]`.");
  }
  return { config, exporters };
}

/** Names exporters as messages do: their name, `#2`, `#3`… for a second, third one of the same name. */
function keysOf(exporters: readonly Exporter[]): string[] {
  const seen = new Map<string, number>();
  return exporters.map((exporter) => {
    const n = (seen.get(exporter.name) ?? 0) + 1;
    seen.set(exporter.name, n);
    return n === 1 ? exporter.name : `${exporter.name}#${n}`;
  });
}

const sameParts = (a?: readonly string[], b?: readonly string[]) => (!a || !b ? a === b : a.length === b.length && a.every((part) => b.includes(part)));

/**
 * Exports one message to the destinations it is for, and sorts the errors by their `retryable` alone: retryable
 * ones are re-sent (an error without the field, from an exporter written before it, counts as retryable rather
 * than lost), the others reported. `rest` is set when the destinations that failed are fewer than those the
 * message was for: only they get it again.
 */
async function deliver(message: QueueMessageLike, { config, exporters }: Setup): Promise<Outcome> {
  const read = fromEnvelope(message.body);
  if (!read.ok) {
    const error = exportError("queue consumer", `message ${message.id}: ${read.reason}`, 0, { retryable: read.retryable });
    return read.retryable ? { errors: [error], lost: [] } : { errors: [], lost: [error] };
  }
  const { batch, only } = read;
  const count = countOf(batch);
  const keys = keysOf(exporters);
  const lost: ExportError[] = [];
  for (const pending of only ?? []) {
    if (!keys.includes(pending.exporter)) {
      lost.push(exportError("queue consumer", `message ${message.id} is for \`${pending.exporter}\`, which this consumer no longer has among its exporters`, 0, { retryable: false }));
    }
  }
  const targets = exporters
    .map((exporter, i) => ({ exporter, key: keys[i]!, parts: only ? only.find((pending) => pending.exporter === keys[i]) : { exporter: keys[i]! } }))
    .filter((target) => target.parts !== undefined)
    .map(({ exporter, key, parts }) => ({ exporter, key, parts: parts!.parts }));
  const deadline = now() + config.flushTimeoutMs;
  const signal = AbortSignal.timeout(config.flushTimeoutMs);
  const fetch = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const errors: ExportError[] = [];
  const remaining: PendingDestination[] = [];
  await Promise.all(targets.map(async ({ exporter, key, parts }) => {
    // `parts` reaches postWithRetry through the options, which skips the requests of the parts already taken.
    const options: PartsOptions = { signal, deadline, fetch, semconv: config.semconv, ...(parts ? { parts } : {}) };
    const result = await Promise.resolve()
      .then(() => exporter.export(batch, options))
      // An exporter that throws said nothing about the cause: retried, within the queue's max_retries.
      .catch((error: unknown): ExportResult => ({ sent: 0, retried: 0, dropped: count, errors: [exportError(exporter.name, describeError(error), count, { retryable: true })] }));
    const failed = (result.errors ?? []).filter((error) => error.retryable !== false);
    lost.push(...(result.errors ?? []).filter((error) => error.retryable === false));
    if (!failed.length) return;
    errors.push(...failed);
    // What this destination lacks: the parts that failed, when it says which and took something; else all it was sent.
    const tookNothing = !result.sent && failed.length === (result.errors ?? []).length;
    const named = failed.every((error) => error.part !== undefined) ? [...new Set(failed.map((error) => error.part!))] : undefined;
    remaining.push({ exporter: key, ...(tookNothing || !named ? (parts ? { parts } : {}) : { parts: named }) });
  }));
  if (!errors.length) return { errors, lost };
  // Retried as is when nothing was taken: the platform counts its attempts. Re-enqueued when fewer destinations
  // or parts are left than the message was for: each new message is for strictly less, so this ends.
  const shrunk = remaining.length < targets.length || remaining.some((pending) => !sameParts(pending.parts, targets.find((target) => target.key === pending.exporter)!.parts));
  return shrunk ? { errors, lost, rest: toEnvelope(batch, { only: remaining, requeued: read.requeued + 1 }) } : { errors, lost };
}

/** `phospho logs: 3 not delivered (HTTP 503: …)`, the same failures of several messages added up; `stored but refused` for what a destination kept. */
function summarize(errors: ExportError[]): string {
  const byKey = new Map<string, ExportError>();
  for (const error of errors) {
    const key = `${error.destination}\u0000${error.reason}`;
    const seen = byKey.get(key);
    if (seen) seen.count += error.count;
    else byKey.set(key, { ...error });
  }
  return [...byKey.values()].map((e) => `${e.destination}: ${!e.count ? e.reason : `${e.count} ${e.stored ? "stored but refused" : "not delivered"} (${e.reason})`}`).join("; ");
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
