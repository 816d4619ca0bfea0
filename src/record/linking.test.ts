// The linking rule on hand-made records: which log each step lands in. The same rule through the public API,
// with real LLM calls, is src/api/linking.test.ts.
import { describe, expect, it } from "vitest";
import type { LogRecord, Step, StepKind } from "../model/records.js";
import { createScope, type Scope } from "../model/scope.js";
import { attachLeftovers, claimEarlierSteps } from "./linking.js";

/** A step named `name`, started at `startTime` in `scope`. */
function step(name: string, scope: Scope, startTime: number, kind: StepKind = "llm"): Step {
  return { spanId: name, kind, scope, name, startTime, status: "ok" };
}

/** A log written at `createdAt` in `scope`; `waits` as when written without output before any LLM call. */
function log(name: string, scope: Scope, createdAt: number, waits = false): LogRecord {
  return {
    spanId: name, taskId: `task-${name}`, sessionId: "session", scope, traceId: "trace", createdAt,
    input: name, output: waits ? undefined : "answer", outputGiven: !waits, metadata: {}, problems: [], steps: [], waitsForLaterSteps: waits,
  };
}

const names = (steps: readonly Step[]) => steps.map((s) => s.name);

/** root ⊃ a ⊃ a1, and root ⊃ b: a sibling of a. */
function scopes() {
  const root = createScope(undefined, { name: "root" });
  const a = createScope(root, { name: "a" });
  return { root, a, a1: createScope(a, { name: "a1" }), b: createScope(root, { name: "b" }) };
}

describe("claimEarlierSteps", () => {
  it("claims the earlier steps of the log's scope and of scopes nested in it, not of sibling or enclosing scopes", () => {
    const { root, a, a1, b } = scopes();
    const steps = [step("in root", root, 1), step("in a", a, 2), step("in a1", a1, 3), step("in b", b, 4)];
    const logA = log("log a", a, 5);
    claimEarlierSteps(steps, logA);
    expect(names(logA.steps)).toEqual(["in a", "in a1"]);
    expect(steps.filter((s) => !s.claimedBy).map((s) => s.name)).toEqual(["in root", "in b"]);
  });

  it("never takes a step another log already claimed", () => {
    const { root } = scopes();
    const steps = [step("first", root, 1)];
    const earlier = log("earlier", root, 2);
    const later = log("later", root, 3);
    claimEarlierSteps(steps, earlier);
    claimEarlierSteps(steps, later);
    expect(names(earlier.steps)).toEqual(["first"]);
    expect(later.steps).toEqual([]);
    expect(steps[0]!.claimedBy).toBe(earlier);
  });
});

describe("attachLeftovers", () => {
  it("gives the steps no log claimed to the invocation's last log, whatever their scope", () => {
    const { root, a, b } = scopes();
    const logs = [log("first", a, 1), log("last", root, 2)];
    const loose = attachLeftovers([step("in b", b, 3, "custom"), step("in a", a, 4)], logs);
    expect(loose).toEqual([]);
    expect(logs[0]!.steps).toEqual([]);
    expect(names(logs[1]!.steps)).toEqual(["in b", "in a"]);
  });

  it("gives an LLM call that started after a log waiting for one to that log, not to a later log", () => {
    const { root } = scopes();
    const logs = [log("lazy stream", root, 10, true), log("later", root, 30)];
    attachLeftovers([step("stream call", root, 20)], logs);
    expect(names(logs[0]!.steps)).toEqual(["stream call"]);
    expect(logs[1]!.steps).toEqual([]);
  });

  it("gives a waiting log neither a custom step, nor an LLM call that started before it or outside its scope", () => {
    const { root, a, b } = scopes();
    const logs = [log("waiting in a", a, 10, true), log("last", root, 30)];
    attachLeftovers([step("custom", a, 20, "custom"), step("earlier call", a, 5), step("call in b", b, 20)], logs);
    expect(logs[0]!.steps).toEqual([]);
    expect(names(logs[1]!.steps)).toEqual(["earlier call", "custom", "call in b"]);
  });

  it("gives an LLM call to the latest waiting log written before it, its nested scopes included", () => {
    const { root, a, a1 } = scopes();
    const logs = [log("first wait", root, 10, true), log("second wait", a, 20, true)];
    attachLeftovers([step("after first", root, 15), step("after second", a1, 25)], logs);
    expect(names(logs[0]!.steps)).toEqual(["after first"]);
    expect(names(logs[1]!.steps)).toEqual(["after second"]);
  });

  it("returns the steps as loose, in order, when there is no log", () => {
    const { root, a } = scopes();
    const steps = [step("one", root, 1), step("two", a, 2, "custom")];
    expect(names(attachLeftovers(steps, []))).toEqual(["one", "two"]);
    expect(steps.every((s) => s.claimedBy === undefined)).toBe(true);
  });

  it("leaves claimed steps where they are and sorts the steps of each log it adds to by start time", () => {
    const { root } = scopes();
    const last = log("last", root, 50);
    const claimed = step("claimed at log time", root, 30);
    claimEarlierSteps([claimed], last);
    const other = log("other", root, 40);
    const kept = step("kept by other", root, 35);
    claimEarlierSteps([kept], other);
    attachLeftovers([step("late", root, 60), claimed, kept, step("early", root, 10, "custom")], [other, last]);
    expect(names(last.steps)).toEqual(["early", "claimed at log time", "late"]);
    expect(names(other.steps)).toEqual(["kept by other"]);
  });
});
