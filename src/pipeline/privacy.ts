// What leaves the isolate: `recordContent: false` keeps metadata only, and the `redact` hook may rewrite or
// drop each log and step before it is exported. (Request headers are never read at all.)
import type { ExportBatch, ExportedLog, ExportedStep } from "../model/exporter.js";
import type { RedactItem, ResolvedConfig } from "../model/config.js";
import type { Choice, LlmCall } from "../model/records.js";
import { sanitize, toText } from "../util/serialize.js";
import { warnOnce } from "../util/warn.js";

export function applyPrivacy(batch: ExportBatch, config: ResolvedConfig): void {
  if (!config.recordContent) {
    for (const log of batch.logs) {
      stripLog(log);
      log.steps.forEach(stripStep);
    }
    batch.looseSteps.forEach(stripStep);
  }
  const redact = config.redact;
  if (!redact) return;
  batch.logs = batch.logs.filter((log) => {
    const item = run(redact, { kind: "log", input: log.raw_input ?? log.input, output: log.raw_output ?? log.output, metadata: log.metadata });
    if (item?.kind !== "log") return false;
    log.input = toText(item.input);
    log.output = item.output === null || item.output === undefined ? null : toText(item.output);
    log.raw_input = typeof item.input === "object" ? item.input : undefined;
    log.raw_output = typeof item.output === "object" ? item.output : undefined;
    log.metadata = item.metadata ?? {};
    log.steps = log.steps.filter((step) => redactStep(redact, step));
    return true;
  });
  batch.looseSteps = batch.looseSteps.filter((step) => redactStep(redact, step));
}

function redactStep(redact: NonNullable<ResolvedConfig["redact"]>, step: ExportedStep): boolean {
  const { llm } = step;
  const item = run(redact, {
    kind: "step", name: step.name, input: step.inputText, output: step.outputText, metadata: step.metadata,
    ...(llm && { provider: llm.provider, model: llm.responseModel ?? llm.requestModel, operation: llm.operation }),
  });
  if (item?.kind !== "step") return false;
  step.name = item.name;
  step.inputText = item.input === undefined ? undefined : toText(item.input);
  step.outputText = item.output === undefined ? undefined : toText(item.output);
  step.metadata = item.metadata;
  // The hook saw text: structured content it could not see is not exported.
  if (step.llm) step.llm = withoutContent(step.llm, (choice) => ({ ...choice, text: step.outputText ?? "", toolCalls: undefined }));
  return true;
}

/** A hook that throws drops the item: better a missing log than a leaked secret. */
function run(redact: NonNullable<ResolvedConfig["redact"]>, item: RedactItem): RedactItem | null {
  try {
    const result = redact(item);
    return result && (sanitize(result, "redact").value as RedactItem);
  } catch (error) {
    warnOnce("redact", `the \`redact\` hook threw, so its item was not exported: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

function stripLog(log: ExportedLog): void {
  log.input = "";
  log.output = null;
  log.raw_input = undefined;
  log.raw_output = undefined;
  log.metadata["edge_tracer.content_recorded"] = false;
}

function stripStep(step: ExportedStep): void {
  step.inputText = undefined;
  step.outputText = undefined;
  if (step.kind !== "llm") step.metadata = undefined;
  if (step.llm) step.llm = withoutContent(step.llm, (choice) => ({ index: choice.index, text: "", finishReason: choice.finishReason }));
}

/** The call's metadata without what was sent; each choice is rewritten by `keepOfChoice`. */
function withoutContent(llm: LlmCall, keepOfChoice: (choice: Choice) => Choice): LlmCall {
  return { ...llm, messages: undefined, prompt: undefined, suffix: undefined, choices: llm.choices.map(keepOfChoice) };
}
