// createQueueConsumer: each message is acked once every destination took it, retried on a failure that may
// pass, and acked with one report when it never will, so a poison message cannot loop.
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { ConfigError, createQueueConsumer, createTracer, queueExporter, type ExportBatch, type ExportResult, type TracerConfig } from "../index.js";
import type { QueueConsumerOptions, QueueMessageLike } from "./queue-consumer.js";
import { splitBatch } from "../exporters/queue.js";
import { fromEnvelope, toEnvelope, type QueueEnvelope } from "../exporters/queue-envelope.js";
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

const run = (config: TracerConfig | ((env: any) => TracerConfig), messages: QueueMessageLike[], env: unknown = {}, options?: QueueConsumerOptions) =>
  createQueueConsumer(config, options).queue({ queue: "traces", messages }, env);

/** A Queue producer binding that keeps what it is sent (or fails). */
function fakeQueue(fail?: Error) {
  const sent: Array<{ body: any; options: unknown }> = [];
  return { sent, send: async (body: unknown, options?: unknown) => { if (fail) throw fail; sent.push({ body: json(body), options }); } };
}

/** A phospho whose /v2/log and /v3/otl answer as told; `paths` lists the requests it got. */
function phosphoAnswering(answers: { logs?: () => Response; steps?: () => Response }, extra: Partial<TracerConfig> = {}) {
  const paths: string[] = [];
  const fetch = async (url: RequestInfo | URL) => {
    const path = new URL(String(url)).pathname;
    paths.push(path);
    const answer = path.startsWith("/v2/log") ? answers.logs : answers.steps;
    return answer?.() ?? Response.json(path.startsWith("/v2/log") ? { logged_events: [{}] } : { status: "ok" });
  };
  return { paths, config: { apiKey: "k", projectId: "p", baseUrl: "https://phospho.test", flushTimeoutMs: 500, fetch, ...extra } satisfies TracerConfig };
}

const busy = () => new Response("busy", { status: 503, headers: { "retry-after": "60" } });

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
      // The log's steps; the loose step (no log, so no task) is phospho's exporter's to map or leave out.
      const spans = Object.fromEntries(phospho.spans.filter((span) => span.traceId === v1Message.batch.logs[0]!.traceId).map((span) => [span.name, span.attributes]));
      expect(Object.keys(spans).sort()).toEqual(["chat gpt-4o-mini", "phospho.task_cf49922a3bbedc2735950d4b0a441a98_intermediate_0", "retrieve"]);
      for (const name of ["chat gpt-4o-mini", "retrieve", "phospho.task_cf49922a3bbedc2735950d4b0a441a98_intermediate_0"]) {
        expect(spans[name]).toMatchObject({ "phospho.task_id": log!.task_id, "phospho.session_id": "session-v1", "phospho.metadata.plan": "pro" });
      }
      expect(spans["chat gpt-4o-mini"]).toMatchObject({ "gen_ai.request.model": "gpt-4o-mini", "gen_ai.completion.0.content": "Teal" });
      expect(spans["phospho.task_cf49922a3bbedc2735950d4b0a441a98_intermediate_0"]).toMatchObject({ "gen_ai.input": "3 docs", "gen_ai.output": "1 doc" });
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
    ["retryable", "retry", [error({ retryable: true })]],
    ["not retryable, whatever the reason's text", "ack", [error({ retryable: false })]],
    ["one retryable among permanent ones", "retry", [error({ retryable: false }), error({ retryable: true })]],
    ["without the field (an exporter older than it): kept, not lost", "retry", [error({})]],
  ])("%s → %s", async (_what, outcome, errors) => {
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

describe("a message some destinations took: only the rest is sent again", () => {
  it("acks it and re-enqueues phospho's steps alone when its logs were taken, so the log is not counted twice", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    let stepsDown = true;
    const phospho = phosphoAnswering({ steps: () => (stepsDown ? busy() : Response.json({ status: "ok" })) });
    const queue = fakeQueue();
    const first = message(await envelope(), "m1");
    await run(phospho.config, [first], {}, { requeue: () => queue });
    expect(first.calls).toEqual(["ack"]);
    expect(phospho.paths).toEqual(["/v2/log/p", "/v3/otl/p"]);
    expect(queue.sent).toHaveLength(1);
    const { body, options } = queue.sent[0]!;
    expect(options).toEqual({ contentType: "json", delaySeconds: 30 });
    expect(body).toMatchObject({ edge_tracer: 2, kind: "batch", only: [{ exporter: "phospho", parts: ["steps"] }], requeued: 1 });
    // The whole batch travels (phospho links each step to its log's task), but only the steps are sent.
    expect(batchIn(body)).toEqual(batchIn(first.body));
    expect(warn.mock.calls[0]![0]).toMatch(/1 message\(s\) were delivered in part; what failed goes back to the queue, for those destinations only, in 30 s: phospho steps: 1 not delivered \(HTTP 503: busy/);

    stepsDown = false;
    const again = message(body, "m2");
    await run(phospho.config, [again], {}, { requeue: () => queue });
    expect(again.calls).toEqual(["ack"]);
    expect(phospho.paths).toEqual(["/v2/log/p", "/v3/otl/p", "/v3/otl/p"]);
    expect(queue.sent).toHaveLength(1);
  });

  it("retries as is a message none of whose destinations took anything, so the queue's max_retries bounds it", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const phospho = phosphoAnswering({ logs: busy, steps: busy });
    const queue = fakeQueue();
    const msg = message(await envelope());
    await run(phospho.config, [msg], {}, { requeue: () => queue });
    expect(msg.calls).toEqual(["retry"]);
    expect(queue.sent).toEqual([]);
    // A re-enqueued message failing again for all it is for: retried as is too.
    const requeued = message(json(toEnvelope(batchIn(await envelope()), { only: [{ exporter: "phospho", parts: ["steps"] }], requeued: 1 })), "m2");
    await run(phospho.config, [requeued], {}, { requeue: () => queue });
    expect(requeued.calls).toEqual(["retry"]);
    expect(queue.sent).toEqual([]);
    expect(phospho.paths.filter((path) => path.startsWith("/v2/log"))).toHaveLength(1);
  });

  it("re-sends only to the destination that failed when there are several", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const memory = memoryExporter();
    let down = true;
    const flaky = { name: "flaky", export: async (): Promise<ExportResult> => (down ? { sent: 0, retried: 0, dropped: 2, errors: [{ destination: "flaky", reason: "HTTP 502", count: 2, retryable: true, status: 502 }] } : { sent: 2, retried: 0, dropped: 0, errors: [] }) };
    const queue = fakeQueue();
    const config = { exporters: [memory, flaky] };
    await run(config, [message(await envelope())], {}, { requeue: () => queue, requeueDelaySeconds: 5 });
    expect(queue.sent.map(({ body, options }) => [body.only, options])).toEqual([[[{ exporter: "flaky" }], { contentType: "json", delaySeconds: 5 }]]);
    down = false;
    const again = message(queue.sent[0]!.body, "m2");
    await run(config, [again], {}, { requeue: () => queue });
    expect(again.calls).toEqual(["ack"]);
    expect(memory.batches).toHaveLength(1);
  });

  it("names exporters of the same name apart (`phospho#2`)", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const [a, b] = [memoryExporter(), memoryExporter()];
    const queue = fakeQueue();
    const only = [{ exporter: "memory#2" }];
    const msg = message(json(toEnvelope(batchIn(await envelope()), { only, requeued: 1 })));
    await run({ exporters: [a, b] }, [msg], {}, { requeue: () => queue });
    expect(msg.calls).toEqual(["ack"]);
    expect([a.batches.length, b.batches.length]).toEqual([0, 1]);
  });

  it("without `requeue`, retries the whole message and says the destinations that took it get it again", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const phospho = phosphoAnswering({ steps: busy });
    const msg = message(await envelope());
    await run(phospho.config, [msg]);
    expect(msg.calls).toEqual(["retry"]);
    expect(warn.mock.calls[0]![0]).toContain("1 message(s) will be retried (destinations that took part of it get it again: pass `requeue` to createQueueConsumer to re-send only what failed): phospho steps: 1 not delivered (HTTP 503: busy");
  });

  it("retries the whole message when re-enqueueing fails, and says why", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const msg = message(await envelope());
    await run(phosphoAnswering({ steps: busy }).config, [msg], {}, { requeue: () => fakeQueue(new Error("queue down")) });
    expect(msg.calls).toEqual(["retry"]);
    expect(warn.mock.calls[0]![0]).toContain("queue consumer: re-enqueueing what message m1 did not deliver failed (Error: queue down): the whole message is retried");
  });

  it("acks and reports a message for an exporter this consumer no longer has", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const memory = memoryExporter();
    const msg = message(json(toEnvelope(batchIn(await envelope()), { only: [{ exporter: "otlp https://gone.test/v1/traces" }], requeued: 1 })), "m9");
    await run({ exporters: [memory] }, [msg]);
    expect(msg.calls).toEqual(["ack"]);
    expect(memory.batches).toEqual([]);
    expect(error.mock.calls[0]![0]).toContain("message m9 is for `otlp https://gone.test/v1/traces`, which this consumer no longer has among its exporters");
  });

  it("refuses a `requeue` that is not a function, and a delay Queues would refuse, with a ConfigError", () => {
    expect(() => createQueueConsumer({}, { requeue: {} as never })).toThrow(/`requeue` of createQueueConsumer must be a function of env/);
    expect(() => createQueueConsumer({}, { requeueDelaySeconds: 86_400 })).toThrow(ConfigError);
  });
});

describe("logs phospho refused for its quota but stored", () => {
  const quota = "Max usage quota reached for project p: 10/10 logs";

  it("are acked, reported apart as stored (not lost), and never re-sent", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const onExportError = vi.fn();
    const queue = fakeQueue();
    const phospho = phosphoAnswering({ logs: () => Response.json({ logged_events: [{ error_in_log: quota }] }) }, { onExportError });
    const msg = message(await envelope());
    await run(phospho.config, [msg], {}, { requeue: () => queue });
    expect(msg.calls).toEqual(["ack"]);
    expect(queue.sent).toEqual([]);
    expect(onExportError.mock.calls.map(([e]) => e)).toEqual([{ destination: "phospho logs", part: "logs", reason: quota, count: 1, retryable: false, stored: true }]);
    expect(error).not.toHaveBeenCalled();
    expect(warn.mock.calls[0]![0]).toContain(`the destinations refused part of what they stored: phospho logs: 1 stored but refused (${quota})`);
  });
});

