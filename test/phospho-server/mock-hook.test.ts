// mock-phospho runs every request it receives through the server model and keeps what phospho would refuse or lose.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockPhospho, type MockPhospho } from "../mocks/mock-phospho.mjs";
import { linked, otlpBytes } from "./otlp-bytes.js";

describe("mock-phospho with the server model", () => {
  const apiKey = "phospho-key";
  const projectId = "proj_model";
  let phospho: MockPhospho;
  beforeAll(async () => {
    phospho = await startMockPhospho({ apiKey, projectId });
  });
  afterAll(() => phospho.close());

  const post = (route: string, body: BodyInit, contentType: string, key = apiKey) =>
    fetch(`${phospho.url}/${route}/${projectId}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": contentType }, body });

  it("is loaded under vitest", () => {
    expect(phospho.serverModel).toBe("on");
  });

  it("records what phospho would refuse or lose, without changing what the mock answers", async () => {
    const now = Math.floor(Date.now() / 1000);
    const logs = await post("v2/log", JSON.stringify({ batched_log_events: [
      { input: "hi", task_id: "t1", session_id: "s1", client_created_at: now },
      { input: "hi", task_id: "t2", client_created_at: now, user_id: 42 },
    ] }), "application/json");
    expect(logs.status).toBe(200);
    const spans = await post("v3/otl", otlpBytes([
      { name: "clash", attributes: [...linked("t1", "s1"), ["gen_ai.system", "openai"], ["user", "a"], ["user.tier", "b"]] },
    ]), "application/x-protobuf");
    expect(spans.status).toBe(200);
    // Not processed by a real server either: a wrong key.
    expect((await post("v2/log", "{}", "application/json", "wrong")).status).toBe(401);

    expect(phospho.serverModelProblems).toEqual([
      expect.stringMatching(/^POST \/v2\/log\/proj_model: \[v2\.strict\] event 1 refused: user_id/),
      expect.stringMatching(/^POST \/v3\/otl\/proj_model: \[v3\.raise\] .*no span of this request is stored/),
    ]);
    // The strict mock's own checks are unchanged: it accepted the span and refused the event itself.
    expect(phospho.spans).toHaveLength(1);
    expect(phospho.errors).toEqual([expect.stringMatching(/user_id must be a string or null/), expect.stringMatching(/^POST \/v2\/log\/proj_model: 401/)]);
    expect(phospho.serverModelSummary()).toMatchObject({ requests: 2, eventsStored: 1, eventsRefused: 1, spansLost: 1 });
    expect(phospho.takeServerModelProblems()).toEqual(phospho.serverModelProblems);
  });

  it("sees the requests the mock refuses itself, as phospho would process them", async () => {
    const before = phospho.serverModelProblems.length;
    // phospho reads any content type as protobuf; the mock insists on application/x-protobuf.
    const res = await post("v3/otl", otlpBytes([{ name: "plain", attributes: [...linked("t1", "s1"), ["http.request.method", "GET"]] }]), "application/octet-stream");
    expect(res.status).toBe(415);
    expect(phospho.serverModelProblems.slice(before)).toEqual([expect.stringMatching(/\[v3\.no-gen-ai\] span "plain"/)]);
    expect(phospho.takeServerModelProblems()).toHaveLength(1);
  });

  it("fails close() on a problem no test took, naming the test behind it; \"record\" only records", async () => {
    for (const serverModel of ["strict", "record"] as const) {
      const mock = await startMockPhospho({ apiKey, projectId, serverModel });
      const body = otlpBytes([{ name: "plain", attributes: [...linked("t1", "s1"), ["http.request.method", "GET"]] }]);
      await fetch(`${mock.url}/v3/otl/${projectId}`, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/x-protobuf" }, body });
      if (serverModel === "record") await expect(mock.close()).resolves.toBeUndefined();
      else await expect(mock.close()).rejects.toThrow(/would refuse or lose[^]*- mock-phospho with the server model > fails close\(\)[^]*\[v3\.no-gen-ai\] span "plain"/);
      expect(mock.serverModelProblems).toHaveLength(1);
    }
  });

  it("counts spans whose task no log created when it stops", async () => {
    const mock = await startMockPhospho({ apiKey, projectId });
    const send = (route: string, body: BodyInit, type: string) =>
      fetch(`${mock.url}/${route}/${projectId}`, { method: "POST", headers: { authorization: `Bearer ${apiKey}`, "content-type": type }, body });
    await send("v2/log", JSON.stringify({ batched_log_events: [{ input: "hi", task_id: "t1", session_id: "s1", client_created_at: Math.floor(Date.now() / 1000) }] }), "application/json");
    await send("v3/otl", otlpBytes([{ name: "chat", attributes: [...linked("t2", "s1"), ["gen_ai.system", "openai"]] }]), "application/x-protobuf");
    expect(mock.takeServerModelProblems()).toEqual([]);
    await expect(mock.close()).rejects.toThrow(/\(across requests\): \[cross\.unlogged-task\] spans of task t2/);
  });
});
