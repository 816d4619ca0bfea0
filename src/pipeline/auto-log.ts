// The automatic log: an invocation that called an LLM and logged nothing still exports one log, so that phospho shows
// it as a task (every exporter gets it). Built on the records before privacy, so `recordContent` and `redact` apply.
import type { LlmCall } from "../model/records.js";
import type { Collector } from "../record/collector.js";
import { toText } from "../util/serialize.js";

/**
 * Logs for an invocation that made an LLM call and no `log()` (unless `autoLog: false`): input the last user message
 * of its first chat or completion call (else the invocation's name, such as `POST /api/chat`), output the last
 * answer (as for any log given none), metadata `edge_tracer.auto_log: true`, claiming every step.
 */
export function addAutoLog(collector: Collector): void {
  if (!collector.config.autoLog || !collector.recordsCalls || collector.logs.length) return;
  const calls = collector.steps.flatMap((step) => (step.llm ? [step.llm] : []));
  if (!calls.length) return;
  const input = calls.map(lastUserText).find((text) => text !== undefined) ?? collector.root.options.name ?? "invocation";
  collector.addLog(collector.root, { input, metadata: { "edge_tracer.auto_log": true } });
}

/** What the user asked in this call: its prompt, or the text of its last user message. */
function lastUserText(llm: LlmCall): string | undefined {
  if (llm.prompt !== undefined) return llm.prompt;
  const messages: unknown[] = Array.isArray(llm.messages) ? llm.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as { role?: unknown; content?: unknown } | null;
    if (message?.role !== "user") continue;
    const content = message.content;
    if (content === undefined || content === null) return undefined;
    // Content parts: their text, without the images and files.
    const texts = Array.isArray(content) ? content.map((part) => part?.text).filter((text) => typeof text === "string") : [];
    return typeof content === "string" ? content : texts.length ? texts.join("\n") : toText(content);
  }
  return undefined;
}
