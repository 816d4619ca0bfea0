// Outbound trace context: which requests get our traceparent, and that the caller's objects are never changed.
import { afterEach, expect, it, vi } from "vitest";
import { createTracer } from "../index.js";

afterEach(() => vi.restoreAllMocks());

function setup() {
  const seen: Request[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => (seen.push(new Request(input, init)), new Response("ok")));
  const invocation = createTracer({ exporters: [], propagateTo: ["internal.example", "https://svc.example/v1", /\.corp\.test\//] }).startInvocation();
  return { invocation, seen };
}

it.each([
  ["https://internal.example/x", true],
  ["https://api.internal.example/x", true],
  ["https://notinternal.example/x", false],
  ["https://svc.example/v1/users", true],
  ["https://svc.example/v2/users", false],
  ["https://db.corp.test/q", true],
  ["https://api.openai.com/v1/models", false],
])("%s gets a traceparent: %s", async (url, expected) => {
  const { invocation, seen } = setup();
  await invocation.fetch(url);
  expect(seen[0]!.headers.get("traceparent")).toBe(expected ? `00-${invocation.traceId}-${invocation.collector.root.spanId}-01` : null);
});

it("adds the header to a copy: the caller's init and Request keep theirs", async () => {
  const { invocation, seen } = setup();
  const init = { headers: { "x-own": "1" } };
  await invocation.fetch("https://internal.example/a", init);
  expect(init).toEqual({ headers: { "x-own": "1" } });
  const request = new Request("https://internal.example/b", { method: "POST", body: "payload", headers: { "x-own": "2" } });
  await invocation.fetch(request);
  expect(request.headers.has("traceparent")).toBe(false);
  expect(seen[1]!.headers.get("x-own")).toBe("2");
  expect(seen[1]!.headers.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  expect(await seen[1]!.text()).toBe("payload");
});
