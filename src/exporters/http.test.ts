// postWithRetry: which failures are retried, how Retry-After and the flush budget are honoured, what is reported:
// each error says whether it may pass (`retryable`) and the reply's status where there was one.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTracer, phosphoExporter } from "../index.js";
import { postWithRetry, type PostRequest } from "./http.js";

afterEach(() => vi.restoreAllMocks());

const request: PostRequest = { destination: "sink", url: "http://sink.test/", headers: {}, body: "{}", count: 3 };

/** A fetch that answers from a script, one entry per attempt; an Error entry is thrown. */
function scripted(...script: (Response | Error)[]) {
  const attempts: number[] = [];
  const fetch = async () => {
    attempts.push(Date.now());
    const next = script.shift()!;
    if (next instanceof Error) throw next;
    return next;
  };
  return { fetch: fetch as unknown as typeof globalThis.fetch, attempts };
}

const budget = (ms: number) => ({ signal: AbortSignal.timeout(ms), deadline: Date.now() + ms });

describe("postWithRetry", () => {
  it("retries a 500, then delivers", async () => {
    const { fetch, attempts } = scripted(new Response("oops", { status: 500 }), new Response("{}"));
    expect(await postWithRetry(request, { fetch, ...budget(5_000) })).toEqual({ sent: 3, retried: 3, dropped: 0, errors: [] });
    expect(attempts).toHaveLength(2);
  });

  it("retries a network error, then delivers", async () => {
    const { fetch } = scripted(new TypeError("connection reset"), new TypeError("connection refused"), new Response("{}"));
    expect(await postWithRetry(request, { fetch, ...budget(5_000) })).toMatchObject({ sent: 3, retried: 3, dropped: 0 });
  });

  it("waits as long as Retry-After says on a 429", async () => {
    const { fetch, attempts } = scripted(new Response("slow down", { status: 429, headers: { "retry-after": "0.3" } }), new Response("{}"));
    expect(await postWithRetry(request, { fetch, ...budget(5_000) })).toMatchObject({ sent: 3 });
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(280);
  });

  it("reads a Retry-After HTTP date: one far ahead is beyond the budget, one past is no wait", async () => {
    const later = scripted(new Response("later", { status: 503, headers: { "retry-after": new Date(Date.now() + 120_000).toUTCString() } }));
    expect((await postWithRetry(request, { fetch: later.fetch, ...budget(1_000) })).errors[0]!.reason).toMatch(/no time left in the flush budget to retry$/);
    const past = scripted(new Response("now", { status: 503, headers: { "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT" } }), new Response("{}"));
    expect(await postWithRetry(request, { fetch: past.fetch, ...budget(1_000) })).toMatchObject({ sent: 3, retried: 3 });
  });

  it("gives up at once on a Retry-After beyond the budget, and says why", async () => {
    const { fetch, attempts } = scripted(new Response("later", { status: 429, headers: { "retry-after": "60" } }));
    const result = await postWithRetry(request, { fetch, ...budget(1_000) });
    expect(attempts).toHaveLength(1);
    expect(result).toMatchObject({ sent: 0, dropped: 3, errors: [{ destination: "sink", count: 3 }] });
    expect(result.errors[0]!.reason).toMatch(/^HTTP 429: later; no time left in the flush budget to retry$/);
  });

  it("does not retry other 4xx, and reports the server's message", async () => {
    const { fetch, attempts } = scripted(new Response('{"detail":"Invalid token"}', { status: 401 }));
    const result = await postWithRetry(request, { fetch, ...budget(5_000) });
    expect(attempts).toHaveLength(1);
    expect(result).toEqual({ sent: 0, retried: 0, dropped: 3, errors: [{ destination: "sink", reason: 'HTTP 401: {"detail":"Invalid token"}', count: 3, retryable: false, status: 401 }] });
  });

  it("stops retrying when the budget runs out", async () => {
    const failures = Array.from({ length: 100 }, () => new Response("down", { status: 503 }));
    const { fetch } = scripted(...failures);
    const started = Date.now();
    const result = await postWithRetry(request, { fetch, ...budget(600) });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result).toMatchObject({ sent: 0, retried: 3, dropped: 3 });
  });

  it("counts per-item refusals in a 200 reply", async () => {
    const { fetch } = scripted(Response.json({ logged_events: [{}, { error_in_log: "invalid event" }, {}] }));
    const refusals = (reply: string) => JSON.parse(reply).logged_events.filter((e: any) => e.error_in_log).map((e: any) => ({ reason: e.error_in_log }));
    expect(await postWithRetry({ ...request, refusals }, { fetch, ...budget(5_000) })).toEqual({
      sent: 2, retried: 0, dropped: 1, errors: [{ destination: "sink", reason: "invalid event", count: 1, retryable: false }],
    });
  });

  it.each([
    ["a 503 past the budget", () => [new Response("busy", { status: 503, headers: { "retry-after": "60" } })], { retryable: true, status: 503 }],
    ["a 429 past the budget", () => [new Response("slow", { status: 429, headers: { "retry-after": "60" } })], { retryable: true, status: 429 }],
    ["a 408", () => Array.from({ length: 50 }, () => new Response("timeout", { status: 408 })), { retryable: true, status: 408 }],
    ["a network error every time", () => Array.from({ length: 50 }, () => new TypeError("fetch failed")), { retryable: true }],
    ["a 401", () => [new Response("no", { status: 401 })], { retryable: false, status: 401 }],
    ["a 413", () => [new Response("too large", { status: 413 })], { retryable: false, status: 413 }],
  ])("says whether %s may pass, with its status", async (_what, script, expected) => {
    const { fetch } = scripted(...script());
    const [error] = (await postWithRetry(request, { fetch, ...budget(300) })).errors;
    expect(error).toEqual({ destination: "sink", reason: expect.any(String), count: 3, ...expected });
  });

  it("calls a request cut by the flush budget retryable, without a status", async () => {
    const hang = (async (_url: unknown, init?: RequestInit) => new Promise((_resolve, reject) => init!.signal!.addEventListener("abort", () => reject(init!.signal!.reason)))) as typeof fetch;
    const [error] = (await postWithRetry(request, { fetch: hang, ...budget(100) })).errors;
    expect(error).toEqual({ destination: "sink", reason: expect.stringMatching(/^flush budget spent/), count: 3, retryable: true });
  });
});

describe("parts and refusals", () => {
  it("names the part of its errors, and skips a part it is not asked for (already taken, on a Queue retry)", async () => {
    const failing = scripted(new Response("busy", { status: 503, headers: { "retry-after": "60" } }));
    const result = await postWithRetry({ ...request, part: "steps" }, { fetch: failing.fetch, ...budget(1_000) });
    expect(result.errors).toEqual([{ destination: "sink", part: "steps", reason: expect.stringMatching(/^HTTP 503: busy/), count: 3, retryable: true, status: 503 }]);
    const untouched = scripted();
    expect(await postWithRetry({ ...request, part: "logs" }, { fetch: untouched.fetch, ...budget(1_000), parts: ["steps"] })).toEqual({ sent: 0, retried: 0, dropped: 0, errors: [] });
    expect(untouched.attempts).toEqual([]);
  });

  it("counts items the server refused but kept as sent, reported apart with `stored: true`", async () => {
    const { fetch } = scripted(Response.json({ logged_events: [{ error_in_log: "over quota" }, { error_in_log: "invalid" }, { error_in_log: "over quota" }] }));
    const refusals = (reply: string) => JSON.parse(reply).logged_events.map((e: any) => ({ reason: e.error_in_log, stored: e.error_in_log === "over quota" }));
    expect(await postWithRetry({ ...request, part: "logs", refusals }, { fetch, ...budget(5_000) })).toEqual({
      sent: 2, retried: 0, dropped: 1, errors: [
        { destination: "sink", part: "logs", reason: "invalid", count: 1, retryable: false },
        { destination: "sink", part: "logs", reason: "over quota", count: 2, retryable: false, stored: true },
      ],
    });
  });

  it("phospho: a flush counts logs refused for quota (stored as tasks) apart from real drops", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const quota = "Max usage quota reached for project p: 100/100 logs";
    const fetch = (async (url: string) => (String(url).includes("/v2/log/")
      ? Response.json({ logged_events: [{ error_in_log: quota }, { error_in_log: "1 validation error for LogEvent" }, { task_id: "t" }] })
      : Response.json({ status: "ok" }))) as unknown as typeof globalThis.fetch;
    const invocation = createTracer({ exporters: [phosphoExporter({ apiKey: "k", projectId: "p", baseUrl: "https://phospho.test" })], fetch }).startInvocation();
    for (const input of ["a", "b", "c"]) invocation.log({ input, output: "o" });
    const result = await invocation.flush();
    expect(result).toEqual({
      sent: 2, retried: 0, dropped: 1, errors: [
        { destination: "phospho logs", part: "logs", reason: "1 validation error for LogEvent", count: 1, retryable: false },
        { destination: "phospho logs", part: "logs", reason: quota, count: 1, retryable: false, stored: true },
      ],
    });
  });
});
