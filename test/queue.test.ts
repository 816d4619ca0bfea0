// Durable delivery in workerd with a real Queue: a producer Worker (queueExporter) → the queue → a consumer
// Worker (createQueueConsumer) → a loopback phospho. The consumer retries while phospho fails and delivers
// once it recovers; when phospho took the logs but not the steps, only the steps go back to the queue; big
// batches are split under the message limit; a stray message is acked, not looped on; a message written by
// the previous release (format 1) is still delivered.
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "./mocks/mock-llm.mjs";
import { startMockPhospho, type MockPhospho, type OtlpSpan } from "./mocks/mock-phospho.mjs";
import { bundleWorker } from "./support/workerd.js";
import v1Message from "./fixtures/queue-message-v1.json" with { type: "json" };

type Delivery = { id: string; attempts: number; outcome: "ack" | "retry"; logs: number; only?: unknown };

// One Miniflare for the file; the tests run in order and share phospho, whose first 4 replies are 503s.
let llm: MockLlm;
let phospho: MockPhospho;
let mf: Miniflare;

beforeAll(async () => {
  llm = await startMockLlm();
  // Retry-After past the consumer's budget: each delivery attempt sends exactly one request per destination
  // (logs, steps) and gives up, so 4 failures are 2 failed deliveries of the first message.
  phospho = await startMockPhospho({ apiKey: "phospho-key", projectId: "proj", failFirst: { count: 4, status: 503, retryAfter: "60" } });
  const [producer, consumer] = await Promise.all([bundleWorker("test/workers/queue-producer.ts"), bundleWorker("test/workers/queue-consumer.ts")]);
  mf = new Miniflare({
    workers: [
      {
        name: "producer",
        modules: [{ type: "ESModule", path: "producer.js", contents: producer }],
        compatibilityDate: "2026-05-01",
        queueProducers: { TRACES: { queueName: "traces" } },
        bindings: { MOCK_LLM_URL: llm.url },
      },
      {
        name: "consumer",
        modules: [{ type: "ESModule", path: "consumer.js", contents: consumer }],
        compatibilityDate: "2026-05-01",
        queueConsumers: { traces: { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 5, retryDelay: 0 } },
        // The same queue, to re-enqueue what only some destinations took.
        queueProducers: { TRACES: { queueName: "traces" } },
        bindings: { PHOSPHO_API_KEY: "phospho-key", PHOSPHO_PROJECT_ID: "proj", PHOSPHO_BASE_URL: phospho.url },
      },
    ],
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
  await Promise.all([llm?.close(), phospho?.close()]);
});

async function deliveries(): Promise<Delivery[]> {
  const consumer = await mf.getWorker("consumer");
  return (await consumer.fetch("http://consumer.test/deliveries")).json() as Promise<Delivery[]>;
}

/** Polls until `predicate` holds, like mock-phospho's waitFor. */
async function until<T>(read: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const producerResult = (id: string) => until<any>(async () => (await mf.dispatchFetch(`http://app.test/results?id=${id}`)).json(), Boolean);

describe("queueExporter → Queue → createQueueConsumer → phospho", () => {
  it("retries in the consumer while phospho fails, and delivers once it recovers", async () => {
    const response = await mf.dispatchFetch("http://app.test/chat?id=first&q=Say+a+color");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("Teal");
    // The producer's flush counts what it enqueued: 1 log, 2 steps.
    expect(await producerResult("first")).toEqual({ sent: 3, retried: 0, dropped: 0, errors: [] });

    await phospho.waitFor((s) => s.logs.length === 1 && s.spans.length === 2);
    expect(phospho.errors).toEqual([]);
    const [log] = phospho.logs;
    expect(log).toMatchObject({ input: "Say a color", output: "Teal", session_id: "session-first", metadata: { id: "first" } });
    expect(phospho.spans.map((span) => span.name).sort()).toEqual(["chat gpt-4o-mini", "retrieve"]);
    for (const span of phospho.spans) expect(span.attributes["phospho.task_id"]).toBe(log!.task_id);
    expect(phospho.spans.find((span) => span.name === "chat gpt-4o-mini")!.attributes["gen_ai.completion.0.content"]).toBe("Teal");

    // Two failed deliveries, retried by the queue, then one that phospho took.
    const seen = await until(deliveries, (d) => d.some((x) => x.outcome === "ack"));
    expect(seen.map(({ attempts, outcome }) => [attempts, outcome])).toEqual([[1, "retry"], [2, "retry"], [3, "ack"]]);
    expect(new Set(seen.map((d) => d.id)).size).toBe(1);
    expect(phospho.requests.map((r) => r.status)).toEqual([503, 503, 503, 503, 200, 200]);
  });

  it("splits a batch over 128 KB into several messages, and every log arrives with its steps", async () => {
    const before = (await deliveries()).length;
    const response = await mf.dispatchFetch("http://app.test/many?id=big&logs=6&bytes=40000");
    expect(await response.text()).toBe("logged 6");
    expect(await producerResult("big")).toEqual({ sent: 12, retried: 0, dropped: 0, errors: [] });

    const logs = await phospho.waitFor((s) => s.logs.filter((l) => l.session_id === "session-big").length === 6 && s.logs.filter((l) => l.session_id === "session-big"));
    const spans = await phospho.waitFor((s) => s.spans.filter((span) => span.attributes["phospho.session_id"] === "session-big").length === 6 && s.spans.filter((span) => span.attributes["phospho.session_id"] === "session-big"));
    expect(logs.map((l) => l.input.slice(0, 6)).sort()).toEqual(["big-0:", "big-1:", "big-2:", "big-3:", "big-4:", "big-5:"]);
    for (const log of logs) {
      const i = log.input.split(":")[0].split("-")[1];
      expect(log.input).toHaveLength(40_000);
      expect(spans.filter((span) => span.attributes["phospho.task_id"] === log.task_id).map((span) => span.name)).toEqual([`retrieve ${i}`]);
    }
    const messages = (await until(deliveries, (d) => d.length > before)).slice(before);
    expect(messages.length).toBeGreaterThanOrEqual(2);
    expect(messages.every((d) => d.outcome === "ack")).toBe(true);
    expect(phospho.errors).toEqual([]);
  });

  it("reports a log too big for any message as dropped, and delivers the others", async () => {
    await mf.dispatchFetch("http://app.test/many?id=huge&logs=1&huge");
    const result = await producerResult("huge");
    expect(result).toMatchObject({ sent: 2, dropped: 1 });
    expect(result.errors).toEqual([{ destination: "queue", count: 1, retryable: false, reason: expect.stringMatching(/^log task_\w+ with its 0 step\(s\) is \d+ bytes as a queue message, over the 127000 bytes a Cloudflare Queues message can carry/) }]);
    await phospho.waitFor((s) => s.logs.some((l) => l.session_id === "session-huge"));
  });

  it("re-sends only phospho's steps when its logs were taken: the log arrives once, its steps after the re-enqueue", async () => {
    const before = (await deliveries()).length;
    const logRequests = () => phospho.requests.filter((r) => r.path.startsWith("/v2/log/")).length;
    const logRequestsBefore = logRequests();
    await (await mf.getWorker("consumer")).fetch("http://consumer.test/fail-steps?n=1");
    await mf.dispatchFetch("http://app.test/chat?id=partial&q=Say+a+color");
    expect(await producerResult("partial")).toEqual({ sent: 3, retried: 0, dropped: 0, errors: [] });

    const ofSession = (spans: OtlpSpan[]) => spans.filter((span) => span.attributes["phospho.session_id"] === "session-partial");
    const spans = await phospho.waitFor((s) => ofSession(s.spans).length === 2 && ofSession(s.spans));
    expect(spans.map((span) => span.name).sort()).toEqual(["chat gpt-4o-mini", "retrieve"]);
    const logs = phospho.logs.filter((l) => l.session_id === "session-partial");
    expect(logs).toHaveLength(1);
    for (const span of spans) expect(span.attributes["phospho.task_id"]).toBe(logs[0]!.task_id);
    // The first message acked after its logs were taken, then a new one for phospho's steps alone.
    const seen = (await until(deliveries, (d) => d.slice(before).filter((x) => x.outcome === "ack").length === 2)).slice(before);
    expect(seen.map(({ attempts, outcome, logs, only }) => [attempts, outcome, logs, only])).toEqual([
      [1, "ack", 1, undefined],
      [1, "ack", 1, [{ exporter: "phospho", parts: ["steps"] }]],
    ]);
    expect(new Set(seen.map((d) => d.id)).size).toBe(2);
    expect(logRequests()).toBe(logRequestsBefore + 1);
    expect(phospho.errors).toEqual([]);
  });

  it("delivers a message the previous release wrote (format 1) to phospho, its content intact", async () => {
    const before = (await deliveries()).length;
    await mf.dispatchFetch("http://app.test/raw", { method: "POST", body: JSON.stringify(v1Message) });
    const taskId = v1Message.batch.logs[0]!.task_id;
    const logs = await phospho.waitFor((s) => s.logs.filter((l) => l.task_id === taskId).length === 1 && s.logs.filter((l) => l.task_id === taskId));
    expect(logs[0]).toMatchObject({ input: "Say a color", output: "Teal", session_id: "session-v1", metadata: { user_id: "bob", plan: "pro", id: "v1" } });
    // The log's steps, each linked to its task (the loose step, with no task, is the phospho exporter's to map or leave out).
    const ofTask = (spans: OtlpSpan[]) => spans.filter((span) => span.attributes["phospho.task_id"] === taskId);
    const spans = await phospho.waitFor((s) => ofTask(s.spans).length === 3 && ofTask(s.spans));
    expect(spans.map((span) => span.name).sort()).toEqual(["chat gpt-4o-mini", `phospho.${taskId}_intermediate_0`, "retrieve"]);
    for (const span of spans) expect(span.attributes).toMatchObject({ "phospho.session_id": "session-v1" });
    const delivered = (await until(deliveries, (d) => d.length > before)).slice(before);
    expect(delivered.map(({ attempts, outcome, logs }) => [attempts, outcome, logs])).toEqual([[1, "ack", 1]]);
    expect(phospho.errors).toEqual([]);
  });

  it("acks a message that is not a batch instead of retrying it forever", async () => {
    const before = (await deliveries()).length;
    const requests = phospho.requests.length;
    await mf.dispatchFetch("http://app.test/stray");
    const stray = (await until(deliveries, (d) => d.length > before)).slice(before);
    expect(stray.map(({ attempts, outcome, logs }) => [attempts, outcome, logs])).toEqual([[1, "ack", 0]]);
    expect(phospho.requests.length).toBe(requests);
  });
});
