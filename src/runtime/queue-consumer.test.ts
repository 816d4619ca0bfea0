// createQueueConsumer: each message is acked once every destination took it, retried on a failure that may
// pass, and acked with one report when it never will, so a poison message cannot loop.
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { ConfigError, createQueueConsumer, createTracer, queueExporter, type ExportBatch, type ExportResult, type TracerConfig } from "../index.js";
import type { QueueMessageLike } from "./queue-consumer.js";
import { fromEnvelope, splitBatch, toEnvelope, type QueueEnvelope } from "../exporters/queue.js";
import { otlp } from "../otlp.js";
import v1Message from "../../test/fixtures/queue-message-v1.json" with { type: "json" };
import { startMockPhospho } from "../../test/mocks/mock-phospho.mjs";

afterEach(() => vi.restoreAllMocks());

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/** A batch as a flush builds it (one log with one custom step), as its queue message. */
async function envelope(input = "q"): Promise<QueueEnvelope> {
  const memory = memoryExporter();
  const invocation = createTracer({ exporters: [memory] }).startInvocation();
  await invocation.step("retrieve", async () => "doc");
  invocation.log({ input, output: "a" });
  await invocation.flush();
  return json(toEnvelope(memory.batches[0]!));
}

/** The batch a message holds, as the consumer reads it. */
function batchIn(body: unknown): ExportBatch {
  const read = fromEnvelope(body);
  if (!read.ok) throw new Error(read.reason);
  return read.batch;
}

function message(body: unknown, id = "m1") {
  const calls: string[] = [];
  const msg: QueueMessageLike & { calls: string[] } = { id, body, attempts: 1, calls, ack: () => void calls.push("ack"), retry: () => void calls.push("retry") };
  return msg;
}

/** A phospho exporter whose fetch answers every request with `reply`. */
function phosphoReplying(reply: () => Response | Promise<Response>, extra: Partial<TracerConfig> = {}): TracerConfig {
  return { apiKey: "k", projectId: "p", baseUrl: "https://phospho.test", flushTimeoutMs: 500, fetch: async () => reply(), ...extra };
}

const run = (config: TracerConfig | ((env: any) => TracerConfig), messages: QueueMessageLike[], env: unknown = {}) =>
  createQueueConsumer(config).queue({ queue: "traces", messages }, env);

describe("createQueueConsumer", () => {
  it("exports each message to every destination and acks it", async () => {
    const [a, b] = [memoryExporter(), memoryExporter()];
    const body = await envelope();
    const msg = message(body);
    await run({ exporters: [a, b] }, [msg]);
    expect(msg.calls).toEqual(["ack"]);
    for (const memory of [a, b]) expect(memory.batches).toEqual([batchIn(body)]);
  });

  it("forwards to OTLP: the root span, blocks, logs and steps of a batch that was split into messages", async () => {
    const memory = memoryExporter();
    const invocation = createTracer({ exporters: [memory] }).startInvocation({ name: "GET /chat" });
    await invocation.tracer({ name: "answer" }, async (t) => {
      for (let i = 0; i < 3; i++) {
        await t.step(`retrieve ${i}`, async () => "doc");
        t.log({ input: `${i}:`.padEnd(60_000, "x"), output: "a" });
      }
    });
    await invocation.flush();
    const messages = splitBatch(memory.batches[0]!).messages.map(({ body }, i) => message(JSON.parse(JSON.stringify(body)), `m${i}`));
    expect(messages.length).toBeGreaterThan(1);
    const bodies: any[] = [];
    const fetch = async (_url: RequestInfo | URL, init?: RequestInit) => (bodies.push(JSON.parse(String(init!.body))), new Response("{}"));
    await run({ exporters: [otlp({ url: "https://collector.test/v1/traces", protocol: "http/json" })], fetch }, messages);
    expect(messages.map((m) => m.calls)).toEqual(messages.map(() => ["ack"]));
    const spans = bodies.flatMap((body) => body.resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)));
    const names = spans.map((span: any) => span.name).sort();
    expect(names).toEqual(["GET /chat", "answer", "log", "log", "log", "retrieve 0", "retrieve 1", "retrieve 2"]);
    expect(new Set(spans.map((span: any) => span.spanId)).size).toBe(8);
  });

  it("retries a message when the destination failed in a way that may pass, and says so once per batch", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const onExportError = vi.fn();
    // Retry-After past the budget: the exporter gives up at once, the queue retries later.
    const config = phosphoReplying(() => new Response("busy", { status: 503, headers: { "retry-after": "60" } }), { onExportError });
    const messages = [message(await envelope(), "m1"), message(await envelope(), "m2")];
    await run(config, messages);
    expect(messages.map((m) => m.calls)).toEqual([["retry"], ["retry"]]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]![0]).toMatch(/^\[edge-tracer\] queue consumer \(traces\): 2 message\(s\) will be retried: phospho logs: 2 not delivered \(HTTP 503: busy; no time left/);
    // Nothing is lost yet: the hook is for what is lost.
    expect(onExportError).not.toHaveBeenCalled();
  });

  it("retries on a network error", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const msg = message(await envelope());
    await run(phosphoReplying(() => Promise.reject(new TypeError("fetch failed")), { flushTimeoutMs: 50 }), [msg]);
    expect(msg.calls).toEqual(["retry"]);
  });

  it("acks and reports a message the destination will never take (4xx), instead of looping", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const onExportError = vi.fn();
    const fetch = vi.fn(async () => new Response('{"detail":"Invalid token"}', { status: 401 }));
    const msg = message(await envelope());
    await run(phosphoReplying(fetch, { onExportError }), [msg]);
    expect(msg.calls).toEqual(["ack"]);
    expect(fetch).toHaveBeenCalledTimes(2); // logs and steps, once each: no retry
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]![0]).toContain('1 message(s) cannot be delivered and were acknowledged: phospho logs: 1 not delivered (HTTP 401: {"detail":"Invalid token"})');
    expect(onExportError.mock.calls.map(([e]) => [e.destination, e.count])).toEqual([["phospho logs", 1], ["phospho steps", 1]]);
  });

  it("acks and reports events the backend refused inside a 200 reply", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const reply = () => Response.json({ logged_events: [{ error_in_log: "event[0]: input must be a string" }] });
    const msg = message(await envelope());
    await run(phosphoReplying(reply), [msg]);
    expect(msg.calls).toEqual(["ack"]);
    expect(error.mock.calls[0]![0]).toContain("phospho logs: 1 not delivered (event[0]: input must be a string)");
  });

  it("acks and reports a message that is not a batch", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const memory = memoryExporter();
    const msg = message({ hello: "world" }, "stray");
    await run({ exporters: [memory] }, [msg]);
    expect(msg.calls).toEqual(["ack"]);
    expect(memory.batches).toEqual([]);
    expect(error.mock.calls[0]![0]).toContain("queue consumer: message stray: it is not a batch sent by queueExporter");
  });

  it("retries when an exporter throws", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const broken = { name: "broken", export: async (_batch: ExportBatch): Promise<never> => { throw new Error("boom"); } };
    const msg = message(await envelope());
    await run({ exporters: [broken] }, [msg]);
    expect(msg.calls).toEqual(["retry"]);
  });

  it("delivers a message of the previous release (format 1) to every destination, its content intact", async () => {
    const memory = memoryExporter();
    const msg = message(json(v1Message), "v1");
    await run({ exporters: [memory] }, [msg]);
    expect(msg.calls).toEqual(["ack"]);
    const [batch] = memory.batches;
    expect(batch!.logs.map((log) => [log.task_id, log.input, log.output, log.steps.length])).toEqual([["task_cf49922a3bbedc2735950d4b0a441a98", "Say a color", "Teal", 3]]);
    expect(batch!.logs[0]!.steps).toEqual(v1Message.batch.logs[0]!.steps.map(({ taskId: _t, sessionId: _s, logMetadata: _m, ...step }) => step));
    expect(batch!.looseSteps).toEqual(v1Message.batch.looseSteps);
    expect(batch!.scopes).toEqual(v1Message.batch.scopes);
    expect(batch!.resource).toEqual(v1Message.batch.resource);
  });

  it("delivers a format-1 message through the phospho exporter: the log once, each step linked to its task", async () => {
    const phospho = await startMockPhospho({ apiKey: "k", projectId: "p" });
    try {
      const msg = message(json(v1Message), "v1");
      await run({ apiKey: "k", projectId: "p", baseUrl: phospho.url }, [msg]);
      expect(msg.calls).toEqual(["ack"]);
      expect(phospho.errors).toEqual([]);
      const [log] = phospho.logs;
      expect(phospho.logs).toHaveLength(1);
      expect(log).toMatchObject({ task_id: "task_cf49922a3bbedc2735950d4b0a441a98", session_id: "session-v1", input: "Say a color", output: "Teal", metadata: { user_id: "bob", plan: "pro", id: "v1" } });
      const spans = Object.fromEntries(phospho.spans.map((span) => [span.name, span.attributes]));
      expect(Object.keys(spans).sort()).toEqual(["chat gpt-4o-mini", "phospho.task_cf49922a3bbedc2735950d4b0a441a98_intermediate_0", "retrieve", "warm cache"]);
      for (const name of ["chat gpt-4o-mini", "retrieve", "phospho.task_cf49922a3bbedc2735950d4b0a441a98_intermediate_0"]) {
        expect(spans[name]).toMatchObject({ "phospho.task_id": log!.task_id, "phospho.session_id": "session-v1", "phospho.metadata.plan": "pro" });
      }
      expect(spans["chat gpt-4o-mini"]).toMatchObject({ "gen_ai.request.model": "gpt-4o-mini", "gen_ai.completion.0.content": "Teal" });
      expect(spans["phospho.task_cf49922a3bbedc2735950d4b0a441a98_intermediate_0"]).toMatchObject({ "gen_ai.input": "3 docs", "gen_ai.output": "1 doc", "gen_ai.kept": 1 });
      // The loose step has no log, so no task: exported with its trace id alone, as before.
      expect(spans["warm cache"]).not.toHaveProperty("phospho.task_id");
    } finally {
      await phospho.close();
    }
  });

  it("decides per message", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const memory = memoryExporter();
    const good = message(await envelope("good"), "good");
    const stray = message("not json", "stray");
    await run({ exporters: [memory] }, [good, stray]);
    expect([good.calls, stray.calls]).toEqual([["ack"], ["ack"]]);
    expect(memory.batches.map((batch) => batch.logs[0]!.input)).toEqual(["good"]);
  });

  it("resolves (env) => config once per env", async () => {
    const memory = memoryExporter();
    const configFor = vi.fn((env: { ID: string }) => ({ exporters: [memory], serviceName: env.ID }));
    const consumer = createQueueConsumer(configFor);
    const env = { ID: "one" };
    await consumer.queue({ queue: "traces", messages: [message(await envelope())] }, env);
    await consumer.queue({ queue: "traces", messages: [message(await envelope())] }, env);
    expect(configFor).toHaveBeenCalledTimes(1);
    expect(memory.batches).toHaveLength(2);
  });

  it("keeps working when spread into another handler object", async () => {
    const memory = memoryExporter();
    const handler = { fetch: () => new Response("ok"), ...createQueueConsumer({ exporters: [memory] }) };
    const msg = message(await envelope());
    await handler.queue({ queue: "traces", messages: [msg] }, {});
    expect(msg.calls).toEqual(["ack"]);
  });

  it("refuses a queueExporter among its destinations, and a bad config, with a ConfigError", () => {
    const queue = { send: async () => {} };
    expect(() => createQueueConsumer({ exporters: [queueExporter(queue)] })).toThrow(ConfigError);
    expect(() => createQueueConsumer({ exporters: [queueExporter(queue)] })).toThrow(/`exporters` of createQueueConsumer include a queueExporter/);
    expect(() => createQueueConsumer({ flushTimeoutMs: -1 })).toThrow(/`flushTimeoutMs`/);
  });
});

describe("what becomes of a message: decided from the errors' `retryable` alone", () => {
  /** An exporter that reports `errors` whatever it is given. */
  const reporting = (errors: object[]) => ({ name: "custom", export: async () => ({ sent: 0, retried: 0, dropped: 1, errors }) as ExportResult });
  const error = (fields: object) => ({ destination: "custom", reason: "HTTP 503: whatever the text says", count: 1, ...fields });

  it.each([
    ["retryable", [error({ retryable: true })], "retry"],
    ["not retryable, whatever the reason's text", [error({ retryable: false })], "ack"],
    ["one retryable among permanent ones", [error({ retryable: false }), error({ retryable: true })], "retry"],
    ["without the field (an exporter older than it): kept, not lost", [error({})], "retry"],
  ])("%s → %s", async (_what, errors, outcome) => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.spyOn(console, "error").mockImplementation(() => {});
    const msg = message(await envelope());
    await run({ exporters: [reporting(errors)] }, [msg]);
    expect(msg.calls).toEqual([outcome]);
  });

  it("retries a message of a newer format, so it waits for the consumer's upgrade or the dead-letter queue", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const memory = memoryExporter();
    const msg = message({ edge_tracer: 3, kind: "batch" }, "future");
    await run({ exporters: [memory] }, [msg]);
    expect(msg.calls).toEqual(["retry"]);
    expect(memory.batches).toEqual([]);
    expect(warn.mock.calls[0]![0]).toContain("message future: the message is edge-tracer queue format 3, and this consumer reads formats 1 to 2");
  });
});
