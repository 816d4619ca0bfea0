// Turns what a collector recorded into the batch exporters send: links resolved, outputs filled, text bounded.
import type { ExportBatch, ExportedLog, ExportedScope, ExportedStep } from "../model/exporter.js";
import { now } from "../util/clock.js";
import type { Scope } from "../model/scope.js";
import type { Collector } from "../record/collector.js";
import type { ResolvedConfig } from "../model/config.js";
import { attachLeftovers } from "../record/linking.js";
import type { LogRecord } from "../model/records.js";
import { clip, toText } from "../util/serialize.js";
import { answersWithText, outputText, type LlmCall, type Step } from "../model/records.js";

/** Builds the export batch of a sealed collector. Synchronous: everything it reads has settled or timed out. */
export function buildBatch(collector: Collector, config: ResolvedConfig): ExportBatch {
  const loose = attachLeftovers(collector.steps, collector.logs);
  const logs = collector.logs.map((record) => exportLog(collector, record, config));
  if (collector.droppedSteps && logs.length) logs.at(-1)!.metadata["edge_tracer.dropped_steps"] = collector.droppedSteps;
  return {
    resource: { serviceName: config.serviceName, environment: config.environment, versionId: config.versionId },
    scopes: collector.scopes.map((scope) => exportScope(collector, scope)),
    logs,
    looseSteps: loose.map((step, index) => exportStep(collector, step, index, undefined, config)),
    maxFieldBytes: config.maxFieldBytes,
    semconv: config.semconv,
  };
}

function exportScope(collector: Collector, scope: Scope): ExportedScope {
  const isRoot = scope === collector.root;
  const attributes: ExportedScope["attributes"] = {};
  if (scope.options.task_id) attributes["phospho.task_id"] = scope.options.task_id;
  if (scope.options.session_id) attributes["phospho.session_id"] = scope.options.session_id;
  if (isRoot) Object.assign(attributes, totals(collector));
  return {
    traceId: collector.traceId,
    spanId: scope.spanId,
    parentSpanId: isRoot ? collector.parent?.spanId : scope.parent?.spanId,
    traceState: isRoot ? collector.parent?.traceState : undefined,
    name: scope.options.name ?? (isRoot ? "invocation" : "tracer"),
    isRoot,
    startTime: scope.startTime,
    endTime: scope.endTime ?? now(),
    attributes,
  };
}

/** What the whole invocation did, on its root span. */
function totals(collector: Collector): ExportedScope["attributes"] {
  let inputTokens = 0;
  let outputTokens = 0;
  let llmMs = 0;
  let llmCalls = 0;
  for (const step of collector.steps) {
    if (!step.llm) continue;
    llmCalls++;
    inputTokens += step.llm.usage?.inputTokens ?? 0;
    outputTokens += step.llm.usage?.outputTokens ?? 0;
    llmMs += (step.endTime ?? step.startTime) - step.startTime;
  }
  return {
    "edge_tracer.invocation.steps": collector.steps.length + collector.droppedSteps,
    "edge_tracer.invocation.logs": collector.logs.length,
    "edge_tracer.invocation.llm_calls": llmCalls,
    "edge_tracer.invocation.input_tokens": inputTokens,
    "edge_tracer.invocation.output_tokens": outputTokens,
    "edge_tracer.invocation.llm_time_ms": Math.round(llmMs),
  };
}

function exportLog(collector: Collector, record: LogRecord, config: ResolvedConfig): ExportedLog {
  const problems = [...record.problems];
  const max = config.maxFieldBytes;
  let output: unknown = record.output;
  if (output instanceof Promise) {
    problems.push("output: the promise had not settled when the flush deadline came, exported as null");
    output = null;
  }
  if (!record.outputGiven) {
    // Embeddings and generic calls answer with no text: the output is the last chat or completion's.
    const lastLlm = record.steps.filter(answersWithText).at(-1);
    output = lastLlm ? (outputText(lastLlm) ?? null) : null;
  }
  const input = clipped(toText(record.input), max, "input", problems);
  const outputText_ = output === null || output === undefined ? null : clipped(toText(output), max, "output", problems);
  const metadata: Record<string, unknown> = { ...record.metadata };
  if (problems.length) metadata["edge_tracer.warnings"] = problems;
  let manualIndex = 0;
  return {
    traceId: record.traceId,
    spanId: record.spanId,
    parentSpanId: record.scope.spanId,
    task_id: record.taskId,
    session_id: record.sessionId,
    input: input.text,
    output: outputText_?.text ?? null,
    // Raw values travel only when they are structured and whole: a cut JSON text is no raw value.
    raw_input: isStructured(record.input) && !input.cut ? record.input : undefined,
    raw_output: record.outputGiven && isStructured(output) && !outputText_?.cut ? output : undefined,
    metadata,
    createdAt: record.createdAt,
    user_id: record.userId,
    version_id: record.versionId ?? config.versionId,
    flag: record.flag,
    environment: config.environment,
    steps: record.steps.map((step) => exportStep(collector, step, step.kind === "manual" ? manualIndex++ : 0, record, config)),
  };
}

function exportStep(collector: Collector, step: Step, index: number, log: LogRecord | undefined, config: ResolvedConfig): ExportedStep {
  const max = config.maxFieldBytes;
  const input = step.llm ? (step.llm.messages ?? step.llm.prompt) : step.input;
  const output = step.llm ? outputText(step) : step.output;
  const inputText = input === undefined ? undefined : toText(input);
  return {
    traceId: collector.traceId,
    spanId: step.spanId,
    // A manual step was given to its log: it is the log's child.
    parentSpanId: step.kind === "manual" && log ? log.spanId : step.scope.spanId,
    name: step.name,
    kind: step.kind,
    status: step.status === "open" ? "unfinished" : step.status,
    startTime: step.startTime,
    endTime: step.endTime ?? step.startTime,
    firstTokenTime: step.firstTokenTime,
    error: step.error && { type: step.error.type, message: clip(step.error.message, max) },
    inputText: inputText === undefined ? undefined : clip(inputText, max),
    outputText: output === undefined ? undefined : clip(toText(output), max),
    metadata: step.metadata,
    llm: step.llm && boundMessages(step.llm, inputText, max),
    index,
    taskId: log?.taskId,
    sessionId: log?.sessionId,
    logMetadata: log?.metadata,
  };
}

/**
 * A long chat history would make every export carry it whole: past `maxFieldBytes`, keep the latest messages
 * that fit and say how many were left out (the clipped `inputText` still starts from the first).
 */
function boundMessages(llm: LlmCall, inputText: string | undefined, max: number): LlmCall {
  if (!Array.isArray(llm.messages) || !inputText || inputText.length <= max / 3) return llm;
  const kept: unknown[] = [];
  let size = 0;
  for (let i = llm.messages.length - 1; i >= 0; i--) {
    size += clip(toText(llm.messages[i]), max).length;
    if (size > max && kept.length) break;
    kept.unshift(llm.messages[i]);
  }
  if (kept.length === llm.messages.length) return llm;
  return { ...llm, messages: kept, params: { ...llm.params, "edge_tracer.messages_left_out": llm.messages.length - kept.length } };
}

function clipped(text: string, max: number, field: string, problems: string[]): { text: string; cut: boolean } {
  const bounded = clip(text, max);
  const cut = bounded !== text;
  if (cut) problems.push(`${field}: longer than maxFieldBytes (${max}), truncated`);
  return { text: bounded, cut };
}

const isStructured = (value: unknown) => typeof value === "object" && value !== null;
