// The consumer Worker of the Queue round trip: createQueueConsumer forwards queued batches to phospho.
// Test-only: it notes each message's ack or retry (with its attempt number) for GET /deliveries, and GET
// /fail-steps?n= makes phospho's steps endpoint fail n times while its logs endpoint works (a partial failure).
import { createQueueConsumer, type MessageBatchLike, type QueueLike } from "edge-tracer";

interface Env {
  TRACES: QueueLike;
  PHOSPHO_API_KEY: string;
  PHOSPHO_PROJECT_ID: string;
  PHOSPHO_BASE_URL: string;
}

/** Set by GET /fail-steps?n=: phospho's /v3/otl answers the next n requests 503 (Retry-After past the budget), /v2/log works. */
let failSteps = 0;
const fetchFailingSteps: typeof fetch = async (input, init) => {
  if (failSteps > 0 && String(input instanceof Request ? input.url : input).includes("/v3/otl/")) {
    failSteps--;
    return new Response("steps down", { status: 503, headers: { "retry-after": "60" } });
  }
  return fetch(input, init);
};

const consumer = createQueueConsumer(
  (env: Env) => ({
    apiKey: env.PHOSPHO_API_KEY,
    projectId: env.PHOSPHO_PROJECT_ID,
    baseUrl: env.PHOSPHO_BASE_URL,
    flushTimeoutMs: 1_000,
    fetch: fetchFailingSteps,
  }),
  // What only some destinations (or parts) took goes back to the queue, for those alone.
  { requeue: (env) => env.TRACES, requeueDelaySeconds: 0 },
);

const deliveries: Array<{ id: string; attempts: number; outcome: "ack" | "retry"; logs: number; only?: unknown }> = [];

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
        deliveries.push({ id: message.id, attempts: message.attempts ?? 0, outcome, logs: logsIn(message.body), only: (message.body as { only?: unknown } | null)?.only });
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
  fetch: (request: Request) => {
    const url = new URL(request.url);
    if (url.pathname === "/fail-steps") failSteps = Number(url.searchParams.get("n") ?? 1);
    return Response.json(deliveries);
  },
};
