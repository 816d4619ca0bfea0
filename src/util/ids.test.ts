// Ids: the shapes phospho and W3C expect, and no repeats across pool refills.
import { expect, it } from "vitest";
import { newSessionId, newSpanId, newTaskId, newTraceId } from "./ids.js";

it("makes ids of the documented shapes, all distinct across many pool refills", () => {
  expect(newTaskId()).toMatch(/^task_[0-9a-f]{32}$/);
  expect(newSessionId()).toMatch(/^session_[0-9a-f]{32}$/);
  expect(newTraceId()).toMatch(/^[0-9a-f]{32}$/);
  expect(newSpanId()).toMatch(/^[0-9a-f]{16}$/);
  const seen = new Set(Array.from({ length: 20_000 }, () => newSpanId()));
  expect(seen.size).toBe(20_000);
});
