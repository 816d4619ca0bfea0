// queueExporter: batches become versioned JSON envelopes under the Queues size limit, split by log, and every
// log and step is either enqueued or counted as dropped with a reason. The envelope is read back field by field,
// today's format and the previous one alike.
import { describe, expect, it } from "vitest";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { createTracer, queueExporter, type ExportBatch, type ExportOptions } from "../index.js";
import v1Message from "../../test/fixtures/queue-message-v1.json" with { type: "json" };
import v2Message from "../../test/fixtures/queue-message-v2.json" with { type: "json" };
import { MAX_MESSAGE_BYTES, splitBatch } from "./queue.js";
import { fromEnvelope, toEnvelope, type QueueEnvelope } from "./queue-envelope.js";

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
    expect(queue.sent[0]!.body).toEqual({ edge_tracer: 2, kind: "batch", ...json({ resource: batch.resource, scopes: batch.scopes, logs: batch.logs, looseSteps: batch.looseSteps }) });
  });

  it("splits a batch over 128 KB by log, each log with its steps, every message under the limit", async () => {
    const batch = await batchOf(6, 40_000);
    const queue = fakeQueue();
    const result = await queueExporter(queue).export(batch, options());
    expect(result).toEqual({ sent: 12, retried: 0, dropped: 0, errors: [] });
    expect(queue.sent.length).toBeGreaterThanOrEqual(2);
    for (const { body, bytes } of queue.sent) {
      expect(bytes).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
      // Each message stands alone: format and resource repeated.
      expect(body).toMatchObject({ edge_tracer: 2, kind: "batch", resource: json(batch.resource) });
    }
    const logs = queue.sent.flatMap(({ body }) => body.logs);
    expect(logs).toEqual(json(batch.logs));
    for (const log of logs) expect(log.steps.map((step) => step.name)).toEqual([`retrieve ${log.input.split(":")[0]}`]);
    expect(queue.sent.flatMap(({ body }) => body.scopes)).toEqual(json(batch.scopes));
  });

  it("counts a single log too big for a message as dropped, says why, and sends the rest", async () => {
    const batch = await batchOf(2, 10, (t) => t.log({ input: "i".repeat(65_000), output: "o".repeat(65_000) }));
    const huge = batch.logs[2]!;
    const queue = fakeQueue();
    const result = await queueExporter(queue).export(batch, options());
    expect(result.sent).toBe(4);
    expect(result.dropped).toBe(1);
    expect(result.errors).toEqual([{ destination: "queue", count: 1, retryable: false, reason: expect.stringContaining(`log ${huge.task_id} with its 0 step(s) is`) }]);
    expect(result.errors[0]!.reason).toContain("over the 127000 bytes a Cloudflare Queues message can carry (128 KB less its metadata)");
    expect(queue.sent.flatMap(({ body }) => body.logs.map((log) => log.task_id))).toEqual([batch.logs[0]!.task_id, batch.logs[1]!.task_id]);
  });

  it("reports a failed send for the logs and steps of that message only", async () => {
    const batch = await batchOf(4, 40_000);
    const firstTask = batch.logs[0]!.task_id;
    const queue = fakeQueue({ fail: (body) => (body.logs.some((log) => log.task_id === firstTask) ? new Error("Queue send failed: internal error") : undefined) });
    const result = await queueExporter(queue).export(batch, options());
    const failedCount = result.errors[0]!.count;
    expect(result.errors).toEqual([{ destination: "queue", count: failedCount, retryable: true, reason: "queue.send failed: Error: Queue send failed: internal error" }]);
    expect(result.sent + result.dropped).toBe(8);
    expect(result.dropped).toBe(failedCount);
    expect(queue.sent.flatMap(({ body }) => body.logs)).toHaveLength(4 - failedCount / 2);
  });

  it("gives up on a send that outlasts the flush budget and says so", async () => {
    const batch = await batchOf(1);
    const started = Date.now();
    const result = await queueExporter(fakeQueue({ hang: true })).export(batch, options(100));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ sent: 0, dropped: 2, errors: [{ destination: "queue", count: 2, retryable: true, reason: expect.stringContaining("flush budget spent") }] });
  });

  it("makes values JSON cannot hold plain before sending", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    const batch: ExportBatch = {
      resource: { serviceName: "svc" },
      scopes: [],
      logs: [],
      looseSteps: [{ traceId: "t", spanId: "s", name: "odd", kind: "custom", status: "ok", startTime: 1, endTime: 2, index: 0, metadata: { big: 10n, cyclic } }],
    };
    const [message] = splitBatch(batch).messages;
    expect(() => JSON.stringify(message!.body)).not.toThrow();
    expect(message!.body.looseSteps[0]!.metadata).toMatchObject({ big: "10", cyclic: { name: "loop", self: "[Circular]" } });
  });

  it("refuses something that is not a Queue binding, naming the fix", () => {
    expect(() => queueExporter(undefined as never)).toThrow(/`queue` must be a Queue binding with a `send` method, such as `env.TRACES`/);
  });
});

/** The batch a format-1 message carried, less what format 2 no longer reads: the config and the steps' copies of their log. */
function v1Batch(): ExportBatch {
  const { resource, scopes, logs, looseSteps } = json(v1Message.batch) as unknown as ExportBatch & { logs: Array<{ steps: object[] }> };
  for (const log of logs) log.steps = log.steps.map(({ taskId: _t, sessionId: _s, logMetadata: _m, ...step }: any) => step);
  return { resource, scopes, logs, looseSteps };
}

describe("the queue envelope", () => {
  it("is written field by field and read back as the same batch: logs, LLM, custom and manual steps, loose steps, scopes", async () => {
    const batch = await batchOf(1, 10, (t) => {
      t.log({ input: "with steps", output: "o", steps: [{ name: "rerank", input: "3 docs", output: "1 doc", kept: 1 }] });
    });
    batch.looseSteps.push({ ...batch.logs[0]!.steps[0]!, spanId: "loose", name: "warm cache", messagesLeftOut: 3 });
    const read = fromEnvelope(json(toEnvelope(batch)));
    expect(read).toEqual({ ok: true, version: 2, batch: json(batch), requeued: 0 });
    const llmBatch = v1Batch();
    expect(fromEnvelope(json(toEnvelope(llmBatch)))).toEqual({ ok: true, version: 2, batch: llmBatch, requeued: 0 });
  });

  it("carries only the fields it lists, and ignores the fields it does not know", async () => {
    const batch = await batchOf(1);
    Object.assign(batch.logs[0]!, { privateNote: "stays home" });
    const message = json(toEnvelope(batch));
    expect(JSON.stringify(message)).not.toContain("stays home");
    const future = { ...message, compression: "none", logs: message.logs.map((log) => ({ ...log, sentiment: 0.9, steps: log.steps.map((step) => ({ ...step, cost: 1 })) })) };
    expect(fromEnvelope(future)).toEqual({ ok: true, version: 2, batch: json({ ...batch, logs: batch.logs.map(({ privateNote: _, ...log }: any) => log) }), requeued: 0 });
  });

  it("reads a message of the previous release (format 1) with its content intact, dropping what the batch no longer has", () => {
    const read = fromEnvelope(v1Message);
    expect(read).toEqual({ ok: true, version: 1, batch: v1Batch(), requeued: 0 });
    if (!read.ok) return;
    const [log] = read.batch.logs;
    expect(log).toMatchObject({ task_id: "task_cf49922a3bbedc2735950d4b0a441a98", session_id: "session-v1", input: "Say a color", output: "Teal", metadata: { user_id: "bob", plan: "pro", id: "v1" } });
    expect(log!.steps.map((step) => [step.kind, step.name])).toEqual([["custom", "retrieve"], ["llm", "chat gpt-4o-mini"], ["manual", "rerank"]]);
    expect(log!.steps[1]!.llm).toMatchObject({ provider: "openai", requestModel: "gpt-4o-mini", usage: { inputTokens: 12, outputTokens: 1, totalTokens: 13 } });
    expect(read.batch.looseSteps.map((step) => step.name)).toEqual(["warm cache"]);
    expect(read.batch).not.toHaveProperty("maxFieldBytes");
    expect(read.batch).not.toHaveProperty("semconv");
    for (const step of log!.steps) for (const copy of ["taskId", "sessionId", "logMetadata"]) expect(step).not.toHaveProperty(copy);
  });

  it("still reads and writes format 2 as recorded in its fixture", () => {
    const read = fromEnvelope(v2Message);
    expect(read).toEqual({ ok: true, version: 2, batch: v1Batch(), requeued: 0 });
    if (read.ok) expect(toEnvelope(read.batch)).toEqual(v2Message);
  });

  it.each([
    ["nothing", null, false, "it is not a batch sent by queueExporter"],
    ["a string", "not json", false, "it is not a batch sent by queueExporter"],
    ["someone else's message", { hello: "world" }, false, "it is not a batch sent by queueExporter"],
    ["a newer format", { edge_tracer: 3, kind: "batch" }, true, "the message is edge-tracer queue format 3, and this consumer reads formats 1 to 2: deploy the producer's edge-tracer release (or a newer one) in the consumer"],
    ["a format-1 message of an unknown version", { type: "edge-tracer.batch", version: 7, batch: {} }, true, "format 7"],
    ["an unknown kind", { edge_tracer: 2, kind: "metrics" }, true, 'the message is of kind "metrics"'],
    ["a batch with no resource", { edge_tracer: 2, kind: "batch", logs: [] }, false, "malformed: resource is undefined, not an object"],
    ["logs that are not a list", { edge_tracer: 2, kind: "batch", resource: { serviceName: "s" }, logs: "x" }, false, "malformed: logs is string, not an array"],
    ["a log without its input", { edge_tracer: 2, kind: "batch", resource: { serviceName: "s" }, logs: [{ traceId: "t", spanId: "s", task_id: "t1", session_id: "s1", createdAt: 1 }] }, false, "malformed: logs[0].input is undefined, not a string"],
    ["an LLM step without choices", { edge_tracer: 2, kind: "batch", resource: { serviceName: "s" }, looseSteps: [{ traceId: "t", spanId: "s", name: "n", kind: "llm", status: "ok", startTime: 1, endTime: 2, llm: { provider: "openai", operation: "chat", params: {} } }] }, false, "malformed: looseSteps[0].llm.choices is undefined, not an array"],
  ])("refuses %s with a reason, without throwing", (_what, body, retryable, reason) => {
    const read = fromEnvelope(body);
    expect(read).toEqual({ ok: false, retryable, reason: expect.stringContaining(reason) });
  });
});
