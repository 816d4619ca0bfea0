// log()'s ids and flag, coerced rather than lost: numbers given as ids become strings, an invalid flag is left out
// and listed in edge_tracer.warnings. Each case is checked against the strict rules of phospho's /v2/log (the model).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { capturePhospho } from "../../test/phospho-server/capture.js";
import { phosphoProblems } from "../../test/phospho-server/model.js";
import { phosphoExporter } from "../exporters/phospho.js";
import { resolveConfig } from "../model/config.js";
import type { LogEvent } from "../model/records.js";
import { buildBatch } from "../pipeline/batch.js";
import { resetWarnings } from "../util/warn.js";
import { createCollector } from "./collector.js";

beforeEach(() => void vi.spyOn(console, "warn").mockImplementation(() => {}));
afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

/** Logs `event` (in a block with `scope` options), exports it to phospho; returns the event sent and the model's findings. */
async function logged(event: Record<string, unknown>, scope: Record<string, unknown> = {}) {
  const c = createCollector(resolveConfig({}));
  const block = c.enterScope(c.root, scope as never);
  const ids = c.addLog(block, { input: "q", output: "a", ...event } as LogEvent);
  const capture = capturePhospho();
  await phosphoExporter({ apiKey: "k", projectId: "p" }).export(buildBatch(c, c.config), { signal: new AbortController().signal, deadline: Date.now() + 5_000, fetch: capture.fetch });
  return { ids, sent: capture.events()[0]!, summary: phosphoProblems(capture.requests) };
}

describe("log() ids", () => {
  it.each([
    ["user_id", 42, "42"],
    ["version_id", 3.5, "3.5"],
    ["task_id", 7, "7"],
    ["session_id", 12345678901234567890n, "12345678901234567890"],
    ["user_id", true, "true"],
  ])("sends %s given as %s as the string %j, which phospho accepts", async (key, value, text) => {
    const { ids, sent, summary } = await logged({ [key]: value });
    expect(sent[key]).toBe(text);
    if (key === "task_id" || key === "session_id") expect(ids[key]).toBe(text);
    expect(summary).toMatchObject({ eventsStored: 1, eventsRefused: 0, problems: [] });
  });

  it("takes a block's numeric ids as strings too", async () => {
    const { ids, sent, summary } = await logged({}, { task_id: 5, session_id: 6 });
    expect(ids).toEqual({ task_id: "5", session_id: "6" });
    expect(sent).toMatchObject({ task_id: "5", session_id: "6" });
    expect(summary.problems).toEqual([]);
  });

  it("leaves out an id that is an object, and says so; task and session ids are then made", async () => {
    const { ids, sent, summary } = await logged({ user_id: { id: 1 }, task_id: ["t"] });
    expect(sent).not.toHaveProperty("user_id");
    expect(ids.task_id).toMatch(/^task_[0-9a-f]{32}$/);
    expect(sent.metadata["edge_tracer.warnings"]).toEqual(["task_id: not a string or a number (object), left out", "user_id: not a string or a number (object), left out"]);
    expect(summary.problems).toEqual([]);
  });
});

describe("log() flag", () => {
  it.each(["success", "failure"])("sends %s", async (flag) => {
    const { sent, summary } = await logged({ flag });
    expect(sent.flag).toBe(flag);
    expect(summary.problems).toEqual([]);
  });

  it.each([["maybe", '"maybe"'], [true, "a boolean"], [1, "a number"]])("leaves out %j and lists it in edge_tracer.warnings", async (flag, shown) => {
    const { sent, summary } = await logged({ flag });
    expect(sent).not.toHaveProperty("flag");
    expect(sent.metadata["edge_tracer.warnings"]).toEqual([`flag: ${shown} is not "success" or "failure", left out`]);
    expect(summary).toMatchObject({ eventsStored: 1, problems: [] });
  });
});
