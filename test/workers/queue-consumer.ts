// The consumer Worker of the Queue round trip: createQueueConsumer forwards queued batches to phospho.
// Test-only: it notes each message's ack or retry (with its attempt number) for GET /deliveries.
import { createQueueConsumer, type MessageBatchLike } from "edge-tracer";

interface Env {
  PHOSPHO_API_KEY: string;
  PHOSPHO_PROJECT_ID: string;
  PHOSPHO_BASE_URL: string;
}

const consumer = createQueueConsumer((env: Env) => ({
  apiKey: env.PHOSPHO_API_KEY,
  projectId: env.PHOSPHO_PROJECT_ID,
  baseUrl: env.PHOSPHO_BASE_URL,
  flushTimeoutMs: 1_000,
}));

const deliveries: Array<{ id: string; attempts: number; outcome: "ack" | "retry"; logs: number }> = [];

/** How many logs a message carries: format 2 (`logs`) or format 1 (`batch.logs`). */
const logsIn = (body: unknown) => {
  const message = body as { logs?: unknown[]; batch?: { logs?: unknown[] } } | null;
  return (message?.logs ?? message?.batch?.logs)?.length ?? 0;
};

export default {
  ...consumer,
  async queue(batch: MessageBatchLike, env: Env, ctx: ExecutionContext) {
    const noted = batch.messages.map((message) => {
      const note = (outcome: "ack" | "retry") =>
        deliveries.push({ id: message.id, attempts: message.attempts ?? 0, outcome, logs: logsIn(message.body) });
      return {
        id: message.id,
        body: message.body,
        attempts: message.attempts,
        ack: () => (note("ack"), message.ack()),
        retry: (options?: { delaySeconds?: number }) => (note("retry"), message.retry(options)),
      };
    });
    await consumer.queue({ queue: batch.queue, messages: noted }, env, ctx);
  },
  fetch: () => Response.json(deliveries),
};
