// Tests of the phospho server model on hand-made payloads: what /v2/log refuses, what /v3/otl loses, which task views fail.
import { describe, expect, it } from "vitest";
import { encodeTraces } from "../../src/exporters/otlp-protobuf.js";
import { checkV2Log, checkV2LogBytes, checkV3Otl, phosphoProblems } from "./model.js";
import { linked, otlpBytes } from "./otlp-bytes.js";

const NOW = 1_700_000_000;
const log = (extra: Record<string, unknown> = {}) => ({ input: "hi", output: "hello", task_id: "task_1", session_id: "session_1", client_created_at: NOW, ...extra });
const v2 = (...events: unknown[]) => checkV2Log({ batched_log_events: events }, { projectId: "proj", now: NOW });

describe("/v2/log", () => {
  it("stores a valid batch, with top-level extras in the metadata and Task field names dropped", () => {
    const result = v2(
      log({ user_id: "u1", version_id: "v1", environment: "prod", flag: "success", metadata: { model: "gpt-4o-mini" }, team: "blue" }),
      log({ task_id: "task_2", output: null, metadata: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
    );
    expect(result.status).toBe(200);
    expect(result.tasksCreated).toBe(true);
    const [first, second] = result.events;
    expect(first).toMatchObject({ ok: true, stored: { taskId: "task_1", sessionId: "session_1", createdAt: NOW, flag: "success", tokensEstimated: true } });
    if (!first?.ok || !second?.ok) throw new Error("both events should be stored");
    expect(first.stored.metadata).toMatchObject({ model: "gpt-4o-mini", user_id: "u1", version_id: "v1", team: "blue", task_id: "task_1", client_created_at: NOW });
    expect(first.stored.metadata).not.toHaveProperty("environment");
    expect(first.stored.droppedKeys).toEqual(["environment"]);
    expect(second.stored.tokensEstimated).toBe(false);
    expect(result.problems).toEqual([expect.stringMatching(/^\[v2\.dropped\] event 0 \(task task_1\): top-level `environment`/)]);
  });

  it("refuses an event whose user_id is a number, alone", () => {
    const result = v2(log(), log({ task_id: "task_2", user_id: 42 }));
    expect(result.status).toBe(200);
    expect(result.events[0]?.ok).toBe(true);
    expect(result.events[1]).toEqual({ ok: false, error_in_log: expect.stringMatching(/^1 validation error for LogEvent\nuser_id\n {2}Input should be a valid string/) });
    expect(result.problems).toEqual([expect.stringMatching(/^\[v2\.strict\] event 1 refused: user_id Input should be a valid string .*input_type=int/)]);
  });

  it("refuses a flag other than success or failure, and a null task_id or environment", () => {
    const result = v2(log({ flag: "ok" }), log({ task_id: null }), log({ environment: null }), log({ flag: null, session_id: null }));
    expect(result.events.map((e) => e.ok)).toEqual([false, false, false, true]);
    expect(result.events[0]).toMatchObject({ error_in_log: expect.stringContaining("flag\n  Input should be 'success' or 'failure'") });
    expect(result.events[1]).toMatchObject({ error_in_log: expect.stringContaining("task_id") });
    expect(result.events[2]).toMatchObject({ error_in_log: expect.stringContaining("environment") });
  });

  it("is strict on types in the second stage: floats and booleans are not integers, raw values have four shapes", () => {
    const result = v2(log({ client_created_at: 1.5 }), log({ created_at: true }), log({ metadata: [] }),
      log({ raw_input: ["a", { b: 1 }] }), log({ raw_output: [null, "x"], raw_input: [{ role: "user", content: "hi" }] }));
    expect(result.events.map((e) => e.ok)).toEqual([false, false, false, false, true]);
  });

  it("refuses the whole batch with 422 when one event's input is not a string", () => {
    const result = v2(log(), log({ task_id: "task_2", input: 42 }));
    expect(result).toMatchObject({ status: 422, events: [] });
    expect(result.problems).toEqual([expect.stringMatching(/^\[v2\.422\] whole batch refused: body\.batched_log_events\.1\.input: Input should be a valid string/)]);
    expect(checkV2Log({ batched_log_events: [{ output: "x" }] }).status).toBe(422);
    expect(checkV2Log([log()]).status).toBe(422);
    expect(checkV2LogBytes(new TextEncoder().encode("{nope"), "application/json").status).toBe(422);
    expect(checkV2LogBytes(new TextEncoder().encode(JSON.stringify({ batched_log_events: [log()] })), "text/plain").status).toBe(422);
  });

  it("replaces a time in milliseconds by the server's now", () => {
    const result = v2(log({ client_created_at: NOW * 1000 }));
    expect(result.events[0]).toMatchObject({ ok: true, stored: { createdAt: NOW, createdAtReplaced: true } });
    expect(result.problems).toEqual([expect.stringMatching(/^\[v2\.created-at\]/)]);
  });

  it("loses every task of the request when the prompt token estimate raises on a message that is not text", () => {
    const parts = [{ role: "user", content: [{ type: "text", text: "hi" }] }];
    const result = v2(log(), log({ task_id: "task_2", raw_input: parts }));
    expect(result.events.every((e) => e.ok)).toBe(true);
    expect(result.tasksCreated).toBe(false);
    expect(result.problems).toEqual([expect.stringMatching(/^\[v2\.tokens-raise\] event 1 .*key `content`: TypeError/)]);
    // With the counts given, nothing is estimated and nothing raises.
    expect(v2(log({ raw_input: parts, metadata: { prompt_tokens: 3 } })).tasksCreated).toBe(true);
    // An OpenAI request body as raw_input is counted inside a try: no raise either.
    expect(v2(log({ raw_input: { messages: parts } })).tasksCreated).toBe(true);
  });

  it("reports a top-level key hidden by the same key in metadata", () => {
    const result = v2(log({ user_id: "u1", metadata: { user_id: "someone else" } }));
    expect(result.problems).toEqual([expect.stringMatching(/^\[v2\.shadowed\] .*`user_id`/)]);
  });
});

describe("/v3/otl", () => {
  it("stores gen_ai spans with their attributes unpacked into nested objects", () => {
    const result = checkV3Otl(otlpBytes([{ name: "chat gpt-4o-mini", attributes: [...linked("task_1"),
      ["gen_ai.system", "openai"], ["gen_ai.usage.input_tokens", 42], ["gen_ai.request.temperature", 0.7],
      ["gen_ai.prompt.0.role", "user"], ["gen_ai.prompt.0.content", "hi"], ["gen_ai.prompt.1.role", "assistant"],
      ["gen_ai.request.stop_sequences", { arrayValue: { values: [{ stringValue: "END" }] } }], ["phospho.metadata.plan", "pro"]] }]));
    expect(result).toMatchObject({ status: 200, spans: 1, lost: 0, problems: [], taskViews: { task_1: "ok" } });
    expect(result.stored[0]).toMatchObject({ taskId: "task_1", sessionId: "session_1", metadata: { plan: "pro" }, propagate: null });
    expect(result.stored[0]?.attributes).toMatchObject({
      gen_ai: {
        system: "openai",
        usage: { input_tokens: "42" }, // int64 is stored as a string
        request: { temperature: 0.7, stop_sequences: { values: [{ stringValue: "END" }] } },
        prompt: [{ role: "user", content: "hi" }, { role: "assistant" }],
      },
    });
  });

  it("loses every span of the request when one key is both a leaf and a prefix (user, then user.tier)", () => {
    const result = checkV3Otl(otlpBytes([
      { name: "fine", attributes: [...linked("task_1"), ["gen_ai.system", "openai"]] },
      { name: "clash", attributes: [...linked("task_1"), ["gen_ai.system", "openai"], ["user", "alice"], ["user.tier", "pro"]] },
    ]));
    expect(result).toMatchObject({ status: 200, spans: 2, stored: [], lost: 2, taskViews: {} });
    expect(result.problems).toEqual([expect.stringMatching(/^\[v3\.raise\] TypeError: .str. object does not support item assignment \(at attribute `user.tier`\) in span "clash": .*no span of this request is stored/)]);
  });

  it("keeps the request when the prefix comes first, but the nested keys are replaced", () => {
    const result = checkV3Otl(otlpBytes([{ name: "clash", attributes: [...linked("task_1"), ["gen_ai.system", "openai"], ["user.tier", "pro"], ["user", "alice"]] }]));
    expect(result.stored[0]?.attributes).toMatchObject({ user: "alice" });
    expect(result.problems).toEqual([expect.stringMatching(/^\[v3\.attribute\] span "clash": attribute `user` replaces the keys nested under it/)]);
  });

  it("makes a list of phospho.metadata.0, and the task's Steps view fails", () => {
    const result = checkV3Otl(otlpBytes([
      { name: "ok step", attributes: [...linked("task_1"), ["gen_ai.system", "openai"]] },
      { name: "listed", attributes: [...linked("task_1"), ["gen_ai.system", "openai"], ["phospho.metadata.0", "first"]] },
      { name: "other task", attributes: [...linked("task_2"), ["gen_ai.system", "openai"]] },
    ]));
    expect(result.stored.map((s) => s.metadata)).toContainEqual([{ "0": "first" }]);
    expect(result.taskViews).toEqual({ task_1: expect.stringMatching(/^500: span "listed": metadata should be a dict or absent, is a list/), task_2: "ok" });
    expect(result.problems).toEqual([expect.stringMatching(/^\[v3\.view\] task task_1: /)]);
  });

  it("fails the task view of a span without a session id", () => {
    const result = checkV3Otl(otlpBytes([{ name: "alone", attributes: [["phospho.task_id", "task_1"], ["gen_ai.system", "openai"]] }]));
    expect(result.taskViews.task_1).toMatch(/session_id should be a string, is None/);
  });

  it("discards a span without any gen_ai.* attribute, and reports a stored span no task can show", () => {
    const result = checkV3Otl(otlpBytes([
      { name: "fetch", attributes: [...linked("task_1"), ["http.request.method", "POST"]] },
      { name: "orphan", attributes: [["gen_ai.system", "openai"]] },
    ]));
    expect(result).toMatchObject({ spans: 2, lost: 1, taskViews: {} });
    expect(result.stored.map((s) => s.name)).toEqual(["orphan"]);
    expect(result.problems).toEqual([
      expect.stringMatching(/^\[v3\.no-gen-ai\] span "fetch"/),
      expect.stringMatching(/^\[v3\.no-task\] span "orphan" is stored but has no phospho.task_id/),
    ]);
  });

  it("copies the ids of a phospho.propagate span onto older spans that have none", () => {
    const result = checkV3Otl(otlpBytes([
      { name: "older", startMs: 1_000, attributes: [["gen_ai.system", "openai"]] },
      { name: "phospho.log", startMs: 2_000, attributes: [...linked("task_1"), ["phospho.propagate", true], ["gen_ai.name", "log"]] },
    ]));
    expect(result.stored.map((s) => [s.name, s.taskId, s.sessionId])).toEqual([["phospho.log", "task_1", "session_1"], ["older", "task_1", "session_1"]]);
  });

  it("follows the unpacking's odd corners: an index that skips, a value it cannot read, a value missing", () => {
    const skip = checkV3Otl(otlpBytes([{ name: "skip", attributes: [...linked("t"), ["gen_ai.completion.1.role", "assistant"]] }]));
    expect(skip.stored[0]?.attributes).toMatchObject({ gen_ai: { completion: [{}], role: "assistant" } });
    expect(skip.problems).toEqual([expect.stringMatching(/index 1 skips a position of `completion`/)]);
    const kv = checkV3Otl(otlpBytes([{ name: "kv", attributes: [...linked("t"), ["gen_ai.system", "x"], ["obj", { kvlistValue: { values: [] } }]] }]));
    expect(kv.problems).toEqual([expect.stringMatching(/attribute `obj`: kvlistValue is not a type the server reads: skipped/)]);
    const missing = checkV3Otl(otlpBytes([{ name: "empty", attributes: [...linked("t"), ["gen_ai.system", "x"], ["nothing", undefined]] }]));
    expect(missing).toMatchObject({ lost: 1, problems: [expect.stringMatching(/^\[v3\.raise\] KeyError/)] });
    // A digit-only key under an existing dict: dict[int] is a KeyError, not the IndexError the server catches.
    const digit = checkV3Otl(otlpBytes([{ name: "d", attributes: [...linked("t"), ["gen_ai.name", "a"], ["gen_ai.input", "b"], ["gen_ai.1", "x"]] }]));
    expect(digit).toMatchObject({ lost: 1, problems: [expect.stringMatching(/^\[v3\.raise\] KeyError: 1 \(at attribute `gen_ai.1`\)/)] });
    const notDict = checkV3Otl(otlpBytes([{ name: "p", attributes: [["phospho", "x"], ["gen_ai.system", "x"]] }]));
    expect(notDict.problems).toEqual([expect.stringMatching(/^\[v3\.raise\] AttributeError: 'str' object has no attribute 'get'/)]);
  });

  it("answers 500 for bytes that are not a TracesData message", () => {
    expect(checkV3Otl(new Uint8Array([0x0a, 0x05, 0x01]))).toMatchObject({ status: 500, problems: [expect.stringMatching(/^\[v3\.500\]/)] });
    expect(checkV3Otl(new TextEncoder().encode("{}"))).toMatchObject({ status: 500 });
    // A span name that is not UTF-8: protobufjs reads it, Python's protobuf refuses it.
    const bytes = otlpBytes([{ name: "é", attributes: [] }]);
    const at = bytes.indexOf(0xc3);
    bytes[at + 1] = 0x28;
    expect(checkV3Otl(bytes)).toMatchObject({ status: 500, problems: [expect.stringMatching(/name is not valid UTF-8/)] });
  });

  it("reads the repo's own encoder's bytes", () => {
    const bytes = encodeTraces({ "service.name": "svc" }, [{
      traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", name: "chat", kind: 3, startTime: 1_700_000_000_000,
      endTime: 1_700_000_000_500, status: { code: 0 },
      attributes: { "phospho.task_id": "task_1", "phospho.session_id": "s", "gen_ai.usage.input_tokens": 3, "gen_ai.response.finish_reasons": ["stop"] },
    }]);
    const result = checkV3Otl(bytes);
    expect(result.taskViews).toEqual({ task_1: "ok" });
    expect(result.stored[0]?.attributes).toMatchObject({ gen_ai: { usage: { input_tokens: "3" }, response: { finish_reasons: { values: [{ stringValue: "stop" }] } } } });
  });
});

describe("phosphoProblems", () => {
  const post = (path: string, body: Uint8Array, status = 200) => ({ method: "POST", path, headers: { "content-type": "application/json" }, body, status });
  const json = (events: unknown[]) => new TextEncoder().encode(JSON.stringify({ batched_log_events: events }));

  it("sums up refused events, lost spans and failing task views across requests", () => {
    const summary = phosphoProblems([
      post("/v2/log/proj", json([log(), log({ task_id: "task_2", user_id: 42 })])),
      post("/v2/log/proj", json([log({ input: 1 })])),
      post("/v2/log/proj", json([log({ output: "changed" })])),
      post("/v2/log/proj", json([log({ task_id: "never seen" })]), 503),
      post("/v3/otl/proj", otlpBytes([
        { name: "a", attributes: [...linked("task_1"), ["gen_ai.system", "openai"], ["phospho.metadata.0", "x"]] },
        { name: "b", attributes: [...linked("task_9"), ["gen_ai.system", "openai"]] },
        { name: "c", attributes: [...linked("task_1"), ["db.system", "d1"]] },
      ])),
    ], { now: NOW });
    expect(summary).toMatchObject({ requests: 4, requestsRefused: 1, eventsStored: 2, eventsRefused: 2, spansStored: 2, spansLost: 1 });
    expect(Object.keys(summary.taskViewsFailing)).toEqual(["task_1"]);
    const tags = summary.problems.map((p) => p.match(/^\[([\w.-]+)\]/)?.[1]);
    expect(tags).toEqual(["v2.strict", "v2.422", "cross.duplicate-task", "v3.no-gen-ai", "v3.view", "cross.unlogged-task"]);
    expect(summary.problems[2]).toMatch(/task task_1 logged again \(a different version, which is lost\)/);
    expect(summary.problems[5]).toMatch(/spans of task task_9/);
  });

  it("is empty for exports phospho keeps whole", () => {
    const summary = phosphoProblems([
      post("/v2/log/proj", json([log({ metadata: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })])),
      post("/v3/otl/proj", otlpBytes([{ name: "chat", attributes: [...linked("task_1"), ["gen_ai.system", "openai"]] }])),
    ]);
    expect(summary.problems).toEqual([]);
    expect(summary.taskViewsFailing).toEqual({});
  });
});
