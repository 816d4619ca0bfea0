// The linking rule (DESIGN §3): which log each step belongs to.
import { isWithin } from "../model/scope.js";
import type { LogRecord } from "../model/records.js";
import type { Step } from "../model/records.js";

/** A new log claims every unclaimed step that started in its scope, or a scope nested in it, before it. */
export function claimEarlierSteps(steps: readonly Step[], log: LogRecord): void {
  for (const step of steps) {
    if (!step.claimedBy && isWithin(step.scope, log.scope)) claim(step, log);
  }
}

/**
 * At flush, an LLM call no log claimed goes to the last log of its scope written before it without output or
 * LLM call (`log({ input })`, then a lazy stream's call); any other step, or failing that, to the invocation's last log. With no log,
 * it stays loose.
 */
export function attachLeftovers(steps: readonly Step[], logs: readonly LogRecord[]): Step[] {
  const last = logs.at(-1);
  const loose: Step[] = [];
  const touched = new Set<LogRecord>();
  for (const step of steps) {
    if (step.claimedBy) continue;
    let owner = last;
    if (step.kind === "llm") for (const log of logs) if (log.waitsForLaterSteps && log.createdAt <= step.startTime && isWithin(step.scope, log.scope)) owner = log;
    if (!owner) {
      loose.push(step);
      continue;
    }
    claim(step, owner);
    touched.add(owner);
  }
  for (const log of touched) log.steps.sort((a, b) => a.startTime - b.startTime);
  return loose;
}

export function claim(step: Step, log: LogRecord): void {
  step.claimedBy = log;
  log.steps.push(step);
}
