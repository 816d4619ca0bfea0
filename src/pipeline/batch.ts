// Turns what a collector recorded into the neutral batch exporters send: links resolved, outputs filled,
// privacy applied on the records. Text is bounded afterwards, once, by clip.ts.
import type { ExportBatch, ExportedLog, ExportedScope, ExportedStep } from "../model/exporter.js";
import type { ResolvedConfig } from "../model/config.js";
import type { Scope } from "../model/scope.js";
import { answersWithText, outputText, type LogRecord, type Step } from "../model/records.js";
import type { Collector } from "../record/collector.js";
import { attachLeftovers } from "../record/linking.js";
import { now } from "../util/clock.js";
import { toText } from "../util/serialize.js";
import { addAutoLog } from "./auto-log.js";
import { applyPrivacy } from "./privacy.js";

/** Builds the export batch of a sealed collector, its automatic log first (auto-log.ts). Synchronous: everything it reads has settled or timed out. */
export function buildBatch(collector: Collector, config: ResolvedConfig): ExportBatch {
  addAutoLog(collector);
  const loose = new Set(attachLeftovers(collector.steps, collector.logs));
  collector.logs.forEach(settleOutput);
  const { logs, steps } = applyPrivacy(collector.logs, collector.steps, config);
  const exported = logs.map((record) => exportLog(collector, record, config));
  if (collector.droppedSteps && exported.length) exported.at(-1)!.metadata["edge_tracer.dropped_steps"] = collector.droppedSteps;
  return {
    resource: { serviceName: config.serviceName, environment: config.environment, versionId: config.versionId },
    scopes: collector.scopes.map((scope) => exportScope(collector, scope)),
    logs: exported,
    looseSteps: steps.filter((step) => loose.has(step)).map((step, index) => exportStep(collector, step, index)),
  };
}

/**
 * The output a log is exported with: what it was given (a Promise's value once settled), or the text of the last
 * LLM call it claimed. Resolved before privacy runs, so `redact` sees the output that would leave.
 */
function settleOutput(record: LogRecord): void {
  if (record.output instanceof Promise) {
    record.problems.push("output: the promise had not settled when the flush deadline came, exported as null");
    record.output = null;
  }
  if (!record.outputGiven) {
    // Embeddings and generic calls answer with no text: the output is the last chat or completion's.
    const lastLlm = record.steps.filter(answersWithText).at(-1);
    record.output = lastLlm ? (outputText(lastLlm) ?? null) : null;
  }
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
  const output = record.output;
  const metadata: Record<string, unknown> = { ...record.metadata };
  if (record.problems.length) metadata["edge_tracer.warnings"] = [...record.problems];
  let manualIndex = 0;
  return {
    traceId: record.traceId,
    spanId: record.spanId,
    parentSpanId: record.scope.spanId,
    task_id: record.taskId,
    session_id: record.sessionId,
    input: toText(record.input),
    output: output === null || output === undefined ? null : toText(output),
    // Raw values travel when they are structured (and, after clipping, whole).
    raw_input: isStructured(record.input) ? record.input : undefined,
    raw_output: record.outputGiven && isStructured(output) ? output : undefined,
    metadata,
    createdAt: record.createdAt,
    user_id: record.userId,
    version_id: record.versionId ?? config.versionId,
    flag: record.flag,
    environment: config.environment,
    steps: record.steps.map((step) => exportStep(collector, step, step.kind === "manual" ? manualIndex++ : 0, record)),
  };
}

function exportStep(collector: Collector, step: Step, index: number, log?: LogRecord): ExportedStep {
  const input = step.llm ? (step.llm.messages ?? step.llm.prompt) : step.input;
  const output = step.llm ? outputText(step) : step.output;
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
    error: step.error && { ...step.error },
    inputText: input === undefined ? undefined : toText(input),
    outputText: output === undefined ? undefined : toText(output),
    metadata: step.metadata,
    llm: step.llm && { ...step.llm, choices: step.llm.choices.map((choice) => choice && { ...choice }) },
    index,
  };
}

const isStructured = (value: unknown) => typeof value === "object" && value !== null;
