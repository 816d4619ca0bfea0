// createQueueConsumer: each message is acked once every destination took it, retried on a failure that may
// pass, and acked with one report when it never will, so a poison message cannot loop.
import { afterEach, describe, expect, it, vi } from "vitest";
import { memoryExporter } from "../../test/support/memory-exporter.js";
import { ConfigError, createQueueConsumer, createTracer, queueExporter, type ExportBatch, type TracerConfig } from "../index.js";
import { isTransient, type QueueMessageLike } from "./queue-consumer.js";
import { splitBatch, type QueueEnvelope } from "../exporters/queue.js";
import { otlp } from "../otlp.js";

afterEach(() => vi.restoreAllMocks());

async function envelope(input = "q"): Promise<QueueEnvelope> {
  const memory = memoryExporter();
  const invocation = createTracer({ exporters: [memory] }).startInvocation();
  await invocation.step("retrieve", async () => "doc");
  invocation.log({ input, output: "a" });
  await invocation.flush();
  return JSON.parse(JSON.stringify({ type: "edge-tracer.batch", version: 1, batch: memory.batches[0]! }));
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
    for (const memory of [a, b]) expect(memory.batches).toEqual([body.batch]);
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
    expect(error.mock.calls[0]![0]).toContain("queue consumer: message stray is not a batch sent by queueExporter");
  });

  it("retries when an exporter throws", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const broken = { name: "broken", export: async (_batch: ExportBatch): Promise<never> => { throw new Error("boom"); } };
    const msg = message(await envelope());
    await run({ exporters: [broken] }, [msg]);
    expect(msg.calls).toEqual(["retry"]);
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

describe("isTransient", () => {
  it.each([
    ["HTTP 408: timeout", false, true],
    ["HTTP 429: slow down; no time left in the flush budget to retry", false, true],
    ["HTTP 500", false, true],
    ["HTTP 503: busy", true, true],
    ["HTTP 400: bad", false, false],
    ["HTTP 401: Invalid token", false, false],
    ["HTTP 413: too large", false, false],
    ["TypeError: fetch failed; no time left in the flush budget to retry", false, true],
    ["flush budget spent (TimeoutError: The operation was aborted due to timeout)", false, true],
    ["event[0]: input must be a string", true, false],
    ["Error: exporter threw", false, true],
  ])("%s (all requests answered 2xx: %s) → %s", (reason, refusalsOnly, expected) => {
    expect(isTransient(reason, refusalsOnly)).toBe(expected);
  });
});
