// Sampling: a head decision when an invocation starts (`sampleRate`), and LLM-aware tail rules at flush (`keep`)
// that rescue the invocations worth seeing: failures, slow calls, heavy token use, truncated or filtered answers.
import type { Collector } from "../record/collector.js";
import type { KeepRules } from "../model/config.js";

/** Whether an invocation the head decision dropped must be exported anyway. */
export function matchesKeep(collector: Collector, keep: KeepRules): boolean {
  let tokens = 0;
  for (const step of collector.steps) {
    if (keep.errors && step.status === "error") return true;
    const llm = step.llm;
    if (!llm) continue;
    if (keep.slowerThanMs !== undefined && (step.endTime ?? step.startTime) - step.startTime > keep.slowerThanMs) return true;
    if (keep.finishReasons?.length && llm.choices.some((choice) => choice?.finishReason && keep.finishReasons!.includes(choice.finishReason))) return true;
    tokens += (llm.usage?.inputTokens ?? 0) + (llm.usage?.outputTokens ?? 0);
  }
  if (keep.errors && collector.logs.some((log) => log.flag === "failure")) return true;
  return keep.moreTokensThan !== undefined && tokens > keep.moreTokensThan;
}
