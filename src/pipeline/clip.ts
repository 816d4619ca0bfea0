// The one clipping pass: every text field of a batch bounded to `maxFieldBytes`, once, after privacy and before
// any exporter. Exporters never clip again. What was cut says so: in the text itself (with its original length),
// and in the log's `edge_tracer.warnings`; a long chat history keeps its latest messages and counts the others.
import type { ExportBatch, ExportedLog, ExportedStep } from "../model/exporter.js";
import type { LlmCall } from "../model/records.js";
import { clip, toText } from "../util/serialize.js";

export function clipBatch(batch: ExportBatch, max: number): void {
  for (const log of batch.logs) {
    clipLog(log, max);
    log.steps.forEach((step) => clipStep(step, max));
  }
  batch.looseSteps.forEach((step) => clipStep(step, max));
}

function clipLog(log: ExportedLog, max: number): void {
  const cut: string[] = [];
  const input = clip(log.input, max);
  if (input !== log.input) {
    cut.push(`input: longer than maxFieldBytes (${max}), truncated`);
    // A cut JSON text is no raw value.
    log.raw_input = undefined;
  }
  log.input = input;
  if (log.output !== null) {
    const output = clip(log.output, max);
    if (output !== log.output) {
      cut.push(`output: longer than maxFieldBytes (${max}), truncated`);
      log.raw_output = undefined;
    }
    log.output = output;
  }
  log.metadata = clipTexts(log.metadata, max);
  if (cut.length) {
    const warnings = log.metadata["edge_tracer.warnings"];
    log.metadata["edge_tracer.warnings"] = [...(Array.isArray(warnings) ? warnings : []), ...cut];
  }
}

/** Metadata's text values bounded too (a retrieved document passed as metadata); the values are the user's, so copied. */
function clipTexts(metadata: Record<string, unknown>, max: number): Record<string, unknown> {
  return Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, typeof value === "string" ? clip(value, max) : value]));
}

function clipStep(step: ExportedStep, max: number): void {
  if (step.metadata) step.metadata = clipTexts(step.metadata, max);
  if (step.error) step.error.message = clip(step.error.message, max);
  if (step.outputText !== undefined) step.outputText = clip(step.outputText, max);
  const llm = step.llm;
  if (llm) boundContent(step, llm, max);
  if (step.inputText !== undefined) step.inputText = clip(step.inputText, max);
}

function boundContent(step: ExportedStep, llm: LlmCall, max: number): void {
  if (llm.prompt !== undefined) llm.prompt = clip(llm.prompt, max);
  if (llm.suffix !== undefined) llm.suffix = clip(llm.suffix, max);
  for (const choice of llm.choices) {
    if (!choice) continue;
    choice.text = clip(choice.text, max);
    if (choice.refusal !== undefined) choice.refusal = clip(choice.refusal, max);
    choice.toolCalls = choice.toolCalls?.map((call) => ({ ...call, arguments: clip(call.arguments, max) }));
  }
  // A long chat history would make every export carry it whole: past a third of the budget, keep the latest
  // messages that fit and count the others (the clipped `inputText` still starts from the first).
  if (!Array.isArray(llm.messages) || !step.inputText || step.inputText.length <= max / 3) return;
  const kept: unknown[] = [];
  let size = 0;
  for (let i = llm.messages.length - 1; i >= 0; i--) {
    size += clip(toText(llm.messages[i]), max).length;
    if (size > max && kept.length) break;
    kept.unshift(llm.messages[i]);
  }
  if (kept.length < llm.messages.length) step.messagesLeftOut = llm.messages.length - kept.length;
  // Also when every message is kept: a lone message may be longer than the budget.
  llm.messages = kept.map((message) => clipMessage(message, max));
}

/** A message whose content is bounded (the one kept message may be longer than the budget on its own). */
function clipMessage(message: unknown, max: number): unknown {
  const content = (message as { content?: unknown } | null)?.content;
  if (content === undefined || content === null) return message;
  const text = toText(content);
  const clipped = clip(text, max);
  return clipped === text ? message : { ...(message as object), content: clipped };
}
