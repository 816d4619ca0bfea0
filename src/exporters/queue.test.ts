// queueExporter: batches become plain JSON messages under the Queues size limit, split by log, and every
// log and step is either enqueued or counted as dropped with a reason.
import { describe, expect, it } from "vitest";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { createTracer, queueExporter, type ExportBatch, type ExportOptions } from "../index.js";
import { MAX_MESSAGE_BYTES, splitBatch, type QueueEnvelope } from "./queue.js";

/** A Queue binding that keeps what a `contentType: "json"` send would deliver, and checks the size limit. */
function fakeQueue(options: { fail?: (body: QueueEnvelope) => Error | undefined; hang?: boolean } = {}) {
  const sent: Array<{ body: QueueEnvelope; bytes: number }> = [];
  return {
    sent,
    async send(body: unknown, sendOptions?: { contentType?: string }) {
      expect(sendOptions?.contentType).toBe("json");
      if (options.hang) return new Promise(() => {});
      const failure = options.fail?.(body as QueueEnvelope);
      if (failure) throw failure;
      const json = JSON.stringify(body);
      const bytes = new TextEncoder().encode(json).byteLength;
      // The platform's limit: 128 KB, up to ~100 bytes of its metadata included.
      if (bytes + 100 > 128_000) throw new Error(`message length of ${bytes} bytes exceeds limit of 128000`);
      sent.push({ body: JSON.parse(json), bytes });
    },
  };
}

/** A real batch, as a flush builds it: `logs` logs of `inputBytes` each, each with a custom step. */
async function batchOf(logs: number, inputBytes = 10, extra: (t: ReturnType<ReturnType<typeof createTracer>["startInvocation"]>) => void = () => {}): Promise<ExportBatch> {
  const memory = memoryExporter();
  const invocation = createTracer({ exporters: [memory] }).startInvocation({ name: "GET /" });
  for (let i = 0; i < logs; i++) {
    await invocation.step(`retrieve ${i}`, async () => `doc ${i}`, { input: `query ${i}` });
    invocation.log({ input: `${i}:`.padEnd(inputBytes, "x"), output: `answer ${i}` });
  }
  extra(invocation);
  await invocation.flush();
  return memory.batches[0]!;
}

const options = (ms = 2_000): ExportOptions => ({ signal: AbortSignal.timeout(ms), deadline: Date.now() + ms, fetch: globalThis.fetch });
const json = <T>(value: T): T => JSON.parse(JSON.stringify(value));

describe("queueExporter", () => {
  it("enqueues the batch as one JSON message and counts its logs and steps", async () => {
    const batch = await batchOf(2);
    const queue = fakeQueue();
    const result = await queueExporter(queue).export(batch, options());
    expect(result).toEqual({ sent: 4, retried: 0, dropped: 0, errors: [] });
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]!.body).toEqual({ type: "edge-tracer.batch", version: 1, batch: json(batch) });
  });

  it("splits a batch over 128 KB by log, each log with its steps, every message under the limit", async () => {
    const batch = await batchOf(6, 40_000);
    const queue = fakeQueue();
    const result = await queueExporter(queue).export(batch, options());
    expect(result).toEqual({ sent: 12, retried: 0, dropped: 0, errors: [] });
    expect(queue.sent.length).toBeGreaterThanOrEqual(2);
    for (const { body, bytes } of queue.sent) {
      expect(bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      // Each message stands alone: resource and settings repeated.
      expect(body.batch).toMatchObject({ resource: json(batch.resource), maxFieldBytes: batch.maxFieldBytes, semconv: batch.semconv });
    }
    const logs = queue.sent.flatMap(({ body }) => body.batch.logs);
    expect(logs).toEqual(json(batch.logs));
    for (const log of logs) expect(log.steps.map((step) => step.name)).toEqual([`retrieve ${log.input.split(":")[0]}`]);
    expect(queue.sent.flatMap(({ body }) => body.batch.scopes)).toEqual(json(batch.scopes));
  });

  it("counts a single log too big for a message as dropped, says why, and sends the rest", async () => {
    const batch = await batchOf(2, 10, (t) => t.log({ input: "i".repeat(65_000), output: "o".repeat(65_000) }));
    const huge = batch.logs[2]!;
    const queue = fakeQueue();
    const result = await queueExporter(queue).export(batch, options());
    expect(result.sent).toBe(4);
    expect(result.dropped).toBe(1);
    expect(result.errors).toEqual([{ destination: "queue", count: 1, reason: expect.stringContaining(`log ${huge.task_id} with its 0 step(s) is`) }]);
    expect(result.errors[0]!.reason).toContain("over the 127000 bytes a Cloudflare Queues message can carry (128 KB less its metadata)");
    expect(queue.sent.flatMap(({ body }) => body.batch.logs.map((log) => log.task_id))).toEqual([batch.logs[0]!.task_id, batch.logs[1]!.task_id]);
  });

  it("reports a failed send for the logs and steps of that message only", async () => {
    const batch = await batchOf(4, 40_000);
    const firstTask = batch.logs[0]!.task_id;
    const queue = fakeQueue({ fail: (body) => (body.batch.logs.some((log) => log.task_id === firstTask) ? new Error("Queue send failed: internal error") : undefined) });
    const result = await queueExporter(queue).export(batch, options());
    const failedCount = result.errors[0]!.count;
    expect(result.errors).toEqual([{ destination: "queue", count: failedCount, reason: "queue.send failed: Error: Queue send failed: internal error" }]);
    expect(result.sent + result.dropped).toBe(8);
    expect(result.dropped).toBe(failedCount);
    expect(queue.sent.flatMap(({ body }) => body.batch.logs)).toHaveLength(4 - failedCount / 2);
  });

  it("gives up on a send that outlasts the flush budget and says so", async () => {
    const batch = await batchOf(1);
    const started = Date.now();
    const result = await queueExporter(fakeQueue({ hang: true })).export(batch, options(100));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ sent: 0, dropped: 2, errors: [{ destination: "queue", count: 2, reason: expect.stringContaining("flush budget spent") }] });
  });

  it("makes values JSON cannot hold plain before sending", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const batch: ExportBatch = {
      resource: { serviceName: "svc" },
      scopes: [],
      logs: [],
      looseSteps: [{ traceId: "t", spanId: "s", name: "odd", kind: "custom", status: "ok", startTime: 1, endTime: 2, index: 0, metadata: { big: 10n, cyclic } }],
      maxFieldBytes: 65_536,
      semconv: "current",
    };
    const [message] = splitBatch(batch).messages;
    expect(() => JSON.stringify(message!.body)).not.toThrow();
    expect(message!.body.batch.looseSteps[0]!.metadata).toMatchObject({ big: "10", cyclic: { name: "loop", self: "[Circular]" } });
  });

  it("refuses something that is not a Queue binding, naming the fix", () => {
    expect(() => queueExporter(undefined as never)).toThrow(/`queue` must be a Queue binding with a `send` method, such as `env.TRACES`/);
  });
});
