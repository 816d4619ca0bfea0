// The linking rule (DESIGN §3): which log each step belongs to.
import { isWithin } from "./scope.js";
import type { LogRecord } from "./log-record.js";
import type { Step } from "./step.js";

/** A new log claims every unclaimed step that started in its scope, or a scope nested in it, before it. */
export function claimEarlierSteps(steps: readonly Step[], log: LogRecord): void {
  for (const step of steps) {
    if (!step.claimedBy && isWithin(step.scope, log.scope)) claim(step, log);
  }
}

/** At flush, steps no log claimed go to the invocation's last log; with no log, they stay loose. */
export function attachLeftovers(steps: readonly Step[], logs: readonly LogRecord[]): Step[] {
  const last = logs.at(-1);
  const loose: Step[] = [];
  for (const step of steps) {
    if (step.claimedBy) continue;
    if (last) claim(step, last);
    else loose.push(step);
  }
  if (last) last.steps.sort((a, b) => a.startTime - b.startTime);
  return loose;
}

export function claim(step: Step, log: LogRecord): void {
  step.claimedBy = log;
  log.steps.push(step);
}
