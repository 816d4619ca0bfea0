// createQueueConsumer: the queue() handler of a consumer Worker. It forwards the batches queueExporter
// enqueued to phospho or OTLP, acking each message once every destination took it, retrying it when an
// error says `retryable`, and acking (after saying so) one that can never be delivered. It traces nothing itself.
import { now } from "../util/clock.js";
import { resolveConfig, type ResolvedConfig, type TracerConfig } from "../model/config.js";
import { describeError, guard } from "../util/warn.js";
import { ConfigError } from "../errors/config-error.js";
import { consoleExporter } from "../exporters/console.js";
import type { Exporter, ExportResult } from "../model/exporter.js";
import { exportError, type ExportError } from "../exporters/http.js";
import { phosphoExporter } from "../exporters/phospho.js";
import { countOf, fromEnvelope, isQueueExporter } from "../exporters/queue.js";

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

type Outcome = { action: "ack" } | { action: "retry"; errors: ExportError[] } | { action: "drop"; errors: ExportError[] };

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
 * @example
 * // consumer Worker; wrangler.toml: [[queues.consumers]] queue = "edge-tracer-traces"
 * export default createQueueConsumer((env) => ({ apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID }));
 * // or next to other handlers: export default { fetch, ...createQueueConsumer(config) };
 */
export function createQueueConsumer<Env = unknown>(config: TracerConfig | ((env: Env) => TracerConfig)): QueueConsumer<Env> {
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
      const retried: ExportError[] = [];
      const dropped: ExportError[] = [];
      let retriedMessages = 0;
      let droppedMessages = 0;
      await forEachLimited(batch.messages, CONCURRENCY, async (message) => {
        const outcome = await deliver(message, setup);
        if (outcome.action === "ack") return message.ack();
        if (outcome.action === "retry") {
          retriedMessages++;
          retried.push(...outcome.errors);
          return message.retry();
        }
        droppedMessages++;
        dropped.push(...outcome.errors);
        for (const error of outcome.errors) guard("onExportError", () => setup.config.onExportError?.(error), undefined);
        message.ack();
      });
      if (retriedMessages) {
        console.warn(`[edge-tracer] queue consumer (${batch.queue}): ${retriedMessages} message(s) will be retried: ${summarize(retried)}`);
      }
      if (droppedMessages) {
        console.error(`[edge-tracer] queue consumer (${batch.queue}): ${droppedMessages} message(s) cannot be delivered and were acknowledged: ${summarize(dropped)}`);
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

/** Exports one message to every destination, and decides what becomes of it from the errors' `retryable` alone. */
async function deliver(message: QueueMessageLike, { config, exporters }: Setup): Promise<Outcome> {
  const read = fromEnvelope(message.body);
  if (!read.ok) {
    const errors = [exportError("queue consumer", `message ${message.id}: ${read.reason}`, 0, { retryable: read.retryable })];
    return read.retryable ? { action: "retry", errors } : { action: "drop", errors };
  }
  const batch = read.batch;
  const count = countOf(batch);
  const deadline = now() + config.flushTimeoutMs;
  const signal = AbortSignal.timeout(config.flushTimeoutMs);
  const fetch = config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const options = { signal, deadline, fetch, semconv: config.semconv };
  const results = await Promise.all(
    exporters.map((exporter) =>
      Promise.resolve()
        .then(() => exporter.export(batch, options))
        // An exporter that throws said nothing about the cause: retried, within the queue's max_retries.
        .catch((error: unknown): ExportResult => ({ sent: 0, retried: 0, dropped: count, errors: [exportError(exporter.name, describeError(error), count, { retryable: true })] })),
    ),
  );
  const errors = results.flatMap((result) => result.errors ?? []);
  if (!errors.length) return { action: "ack" };
  // An error without `retryable` comes from an exporter written before it existed: retried rather than lost.
  return { action: errors.some((error) => error.retryable !== false) ? "retry" : "drop", errors };
}

/** `phospho logs: 3 not delivered (HTTP 503: …)`, the same failures of several messages added up. */
function summarize(errors: ExportError[]): string {
  const byKey = new Map<string, ExportError>();
  for (const error of errors) {
    const key = `${error.destination}\u0000${error.reason}`;
    const seen = byKey.get(key);
    if (seen) seen.count += error.count;
    else byKey.set(key, { ...error });
  }
  return [...byKey.values()].map((e) => `${e.destination}: ${e.count ? `${e.count} not delivered (${e.reason})` : e.reason}`).join("; ");
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
