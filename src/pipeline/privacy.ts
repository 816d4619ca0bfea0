// What leaves the isolate, decided on the records before any batch is built: `recordContent: false` keeps
// metadata only, and the `redact` hook may rewrite or drop each log and step, seeing structured values for
// both (a log's input and output, a step's messages or input and its output). Request headers are never read at all.
import type { RedactItem, ResolvedConfig } from "../model/config.js";
import { outputText, type LogRecord, type Step } from "../model/records.js";
import { sanitize, toText } from "../util/serialize.js";
import { warnOnce } from "../util/warn.js";

type Redact = NonNullable<ResolvedConfig["redact"]>;

/** Applies `recordContent` and `redact` to the records of one flush; returns the logs and steps to export. */
export function applyPrivacy(logs: LogRecord[], steps: Step[], config: ResolvedConfig): { logs: LogRecord[]; steps: Step[] } {
  if (!config.recordContent) {
    logs.forEach(stripLog);
    steps.forEach(stripStep);
  }
  const redact = config.redact;
  if (!redact) return { logs, steps };
  const keptLogs = logs.filter((log) => redactLog(redact, log));
  const dropped = new Set<Step>();
  for (const step of steps) if (!redactStep(redact, step)) dropped.add(step);
  // A dropped log takes its steps with it: they answered what it logged.
  for (const log of logs) if (!keptLogs.includes(log)) log.steps.forEach((step) => dropped.add(step));
  for (const log of keptLogs) log.steps.splice(0, log.steps.length, ...log.steps.filter((step) => !dropped.has(step)));
  return { logs: keptLogs, steps: steps.filter((step) => !dropped.has(step)) };
}

function redactLog(redact: Redact, log: LogRecord): boolean {
  const item = run(redact, { kind: "log", input: log.input, output: log.output, metadata: log.metadata });
  if (item?.kind !== "log") return false;
  Object.assign(log, { input: item.input, output: item.output ?? null, metadata: item.metadata ?? {} });
  return true;
}

function redactStep(redact: Redact, step: Step): boolean {
  const llm = step.llm;
  const input = llm ? (llm.messages ?? llm.prompt) : step.input;
  const output = llm ? outputText(step) : step.output;
  const item = run(redact, {
    kind: "step", name: step.name, input, output, metadata: step.metadata,
    ...(llm && { provider: llm.provider, model: llm.responseModel ?? llm.requestModel, operation: llm.operation }),
  });
  if (item?.kind !== "step") return false;
  step.name = item.name;
  step.metadata = item.metadata;
  if (!llm) return void Object.assign(step, { input: item.input, output: item.output }), true;
  // What the hook changed replaces the call's content; what it left as it was stays whole (tool calls included).
  if (item.input !== input) {
    llm.messages = Array.isArray(item.input) ? item.input : undefined;
    llm.prompt = Array.isArray(item.input) || item.input === undefined ? undefined : toText(item.input);
  }
  if (item.output !== output) {
    const first = llm.choices[0];
    llm.choices = [{ index: 0, text: item.output === undefined || item.output === null ? "" : toText(item.output), finishReason: first?.finishReason }];
  }
  return true;
}

/** A hook that throws drops the item: better a missing log than a leaked secret. */
function run(redact: Redact, item: RedactItem): RedactItem | null {
  try {
    const result = redact(item);
    return result && (sanitize(result, "redact").value as RedactItem);
  } catch (error) {
    warnOnce("redact", `the \`redact\` hook threw, so its item was not exported: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

function stripLog(log: LogRecord): void {
  Object.assign(log, { input: "", output: null, metadata: { ...log.metadata, "edge_tracer.content_recorded": false } });
}

function stripStep(step: Step): void {
  step.input = undefined;
  step.output = undefined;
  if (step.kind !== "llm") step.metadata = undefined;
  const llm = step.llm;
  if (!llm) return;
  llm.messages = llm.prompt = llm.suffix = undefined;
  llm.choices = llm.choices.map((choice) => ({ index: choice.index, text: "", finishReason: choice.finishReason }));
}
