// The console exporter: one readable tree per invocation, so `wrangler dev` shows traces with no account.
import { allSteps, type ExportBatch, type ExportedStep, type Exporter } from "../model/exporter.js";

export interface ConsoleExporterOptions {
  /** Where lines go. Default `console.log`. */
  write?: (text: string) => void;
  /** Longest input/output excerpt shown. Default 80 characters. */
  excerpt?: number;
}

/**
 * Prints each flush as a tree: log → steps with model, tokens, latency and time to first token.
 * The default exporter when no phospho credentials are configured.
 *
 * @example createTracer({ exporters: [consoleExporter()] })
 */
export function consoleExporter(options: ConsoleExporterOptions = {}): Exporter {
  const write = options.write ?? ((text: string) => console.log(text));
  const width = options.excerpt ?? 80;
  return {
    name: "console",
    async export(batch) {
      write(formatTree(batch, width));
      const count = batch.logs.length + allSteps(batch).length;
      return { sent: count, retried: 0, dropped: 0, errors: [] };
    },
  };
}

/** The tree as text. */
export function formatTree(batch: ExportBatch, width = 80): string {
  const steps = allSteps(batch);
  const traces = [...new Set([...batch.logs.map((log) => log.traceId), ...steps.map((step) => step.traceId)])];
  const lines = [`[edge-tracer] trace ${traces.map((id) => id.slice(0, 12)).join(", ")} · ${plural(batch.logs.length, "log")} · ${plural(steps.length, "step")}`];
  const quote = (text: string | null) => (text === null ? "—" : JSON.stringify(text.length > width ? `${text.slice(0, width - 1)}…` : text));
  batch.logs.forEach((log, i) => {
    const lastLog = i === batch.logs.length - 1 && !batch.looseSteps.length;
    const stem = lastLog ? "   " : "│  ";
    lines.push(`${lastLog ? "└─" : "├─"} log ${log.task_id} · ${log.session_id}`);
    lines.push(`${stem}   input  ${quote(log.input)}`);
    lines.push(`${stem}   output ${quote(log.output)}`);
    const meta = Object.keys(log.metadata).length ? JSON.stringify(log.metadata) : "";
    if (meta) lines.push(`${stem}   metadata ${meta.length > width * 2 ? `${meta.slice(0, width * 2)}…` : meta}`);
    log.steps.forEach((step, j) => lines.push(`${stem}${j === log.steps.length - 1 ? "└─" : "├─"} ${describeStep(step)}`));
  });
  batch.looseSteps.forEach((step, j) => lines.push(`${j === batch.looseSteps.length - 1 ? "└─" : "├─"} (no log) ${describeStep(step)}`));
  return lines.join("\n");
}

function describeStep(step: ExportedStep): string {
  const parts: string[] = [];
  const llm = step.llm;
  if (llm) {
    // A generic call has no model: its method and path say what it was.
    parts.push(llm.operation === "generic" ? step.name : `${llm.operation} ${llm.responseModel ?? llm.requestModel ?? "?"}`, llm.provider);
    if (llm.embeddings) parts.push(`${plural(llm.embeddings.inputs, "input")} × ${llm.embeddings.dimension ?? "?"} dims`);
    if (llm.streamed) parts.push(`stream ${llm.chunks ?? 0} chunks`);
    if (llm.usage) parts.push(`${llm.usage.inputTokens ?? "?"}→${llm.usage.outputTokens ?? "?"} tokens`);
    if (step.firstTokenTime !== undefined) parts.push(`ttft ${ms(step.firstTokenTime - step.startTime)}`);
    const reasons = llm.choices.map((choice) => choice?.finishReason).filter(Boolean);
    if (reasons.length) parts.push(`finish ${reasons.join(",")}`);
  } else {
    parts.push(step.name, step.kind);
  }
  parts.push(ms(step.endTime - step.startTime));
  if (step.status !== "ok") parts.push(step.status === "error" ? `✗ ${step.error?.type ?? "error"}: ${step.error?.message ?? ""}` : step.status);
  return parts.join(" · ");
}

const ms = (value: number) => `${Math.round(value)} ms`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
