// GenAI semantic-convention attributes of an LLM step, current and legacy names, shared by every span exporter.
import type { Attributes } from "@opentelemetry/api";
import { clip } from "../core/serialize.js";
import type { ExportedStep } from "./exporter.js";

const PROVIDER_NAMES = { openai: "openai", mistral: "mistral_ai" } as const;
const REQUEST_PARAMS: Record<string, string> = {
  temperature: "gen_ai.request.temperature",
  top_p: "gen_ai.request.top_p",
  max_tokens: "gen_ai.request.max_tokens",
  max_completion_tokens: "gen_ai.request.max_tokens",
  seed: "gen_ai.request.seed",
  random_seed: "gen_ai.request.seed",
  presence_penalty: "gen_ai.request.presence_penalty",
  frequency_penalty: "gen_ai.request.frequency_penalty",
  n: "gen_ai.request.choice.count",
};

export interface GenAiOptions {
  /** `current` names (gen_ai.usage.input_tokens…), `legacy` ones (gen_ai.prompt.0.content…, which phospho reads), or `both`. */
  semconv: "current" | "legacy" | "both";
  maxFieldBytes: number;
}

/** The GenAI semantic-convention attributes of an LLM step. */
export function genAiAttributes(step: ExportedStep, options: GenAiOptions): Attributes {
  const attributes: Attributes = {};
  const max = options.maxFieldBytes;
  const llm = step.llm!;
  const set = (key: string, value: Attributes[string] | null) => {
    if (value !== undefined && value !== null) attributes[key] = value;
  };
  const provider = PROVIDER_NAMES[llm.provider];
  set("gen_ai.operation.name", llm.operation);
  set("gen_ai.provider.name", provider);
  set("gen_ai.system", provider);
  set("gen_ai.request.model", llm.requestModel);
  set("gen_ai.response.model", llm.responseModel);
  set("gen_ai.response.id", llm.responseId);
  set("gen_ai.openai.response.system_fingerprint", llm.systemFingerprint);
  for (const [param, key] of Object.entries(REQUEST_PARAMS)) {
    if (typeof llm.params[param] === "number") set(key, llm.params[param] as number);
  }
  const stop = llm.params.stop;
  if (stop !== undefined) set("gen_ai.request.stop_sequences", (Array.isArray(stop) ? stop : [stop]).map(String));
  set("gen_ai.request.stream", llm.streamed);
  set("server.address", llm.serverAddress);
  set("server.port", llm.serverPort);
  set("http.response.status_code", llm.httpStatus);
  const reasons = llm.choices.map((choice) => choice?.finishReason).filter((reason): reason is string => !!reason);
  if (reasons.length) set("gen_ai.response.finish_reasons", reasons);
  if (llm.usage) {
    set("gen_ai.usage.input_tokens", llm.usage.inputTokens);
    set("gen_ai.usage.output_tokens", llm.usage.outputTokens);
    set("gen_ai.usage.prompt_tokens", llm.usage.inputTokens);
    set("gen_ai.usage.completion_tokens", llm.usage.outputTokens);
    set("llm.usage.total_tokens", llm.usage.totalTokens);
  }
  if (step.firstTokenTime !== undefined) set("gen_ai.response.time_to_first_chunk", (step.firstTokenTime - step.startTime) / 1000);
  if (llm.chunks !== undefined) set("edge_tracer.stream.chunks", llm.chunks);
  if (llm.parseProblem) set("edge_tracer.parse_problem", llm.parseProblem);

  // Content: current names hold JSON, legacy names one attribute per message part.
  set("gen_ai.input.messages", step.inputText);
  const messages = Array.isArray(llm.messages) ? llm.messages : [];
  messages.forEach((message: any, i: number) => {
    set(`gen_ai.prompt.${i}.role`, typeof message?.role === "string" ? message.role : undefined);
    const content = message?.content;
    set(`gen_ai.prompt.${i}.content`, content === undefined || content === null ? undefined : clip(typeof content === "string" ? content : JSON.stringify(content), max));
  });
  const output = llm.choices.filter(Boolean).map((choice) => ({
    role: "assistant",
    parts: [
      ...(choice.text ? [{ type: "text", content: clip(choice.text, max) }] : []),
      ...(choice.toolCalls ?? []).map((call) => ({ type: "tool_call", id: call.id, name: call.name, arguments: clip(call.arguments, max) })),
    ],
    finish_reason: choice.finishReason,
  }));
  if (output.length) set("gen_ai.output.messages", clip(JSON.stringify(output), max));
  llm.choices.forEach((choice) => {
    if (!choice) return;
    const prefix = `gen_ai.completion.${choice.index}`;
    set(`${prefix}.role`, "assistant");
    set(`${prefix}.content`, clip(choice.text, max));
    set(`${prefix}.finish_reason`, choice.finishReason);
    if (choice.refusal) set(`${prefix}.refusal`, clip(choice.refusal, max));
    choice.toolCalls?.forEach((call, j) => {
      set(`${prefix}.tool_calls.${j}.id`, call.id);
      set(`${prefix}.tool_calls.${j}.name`, call.name);
      set(`${prefix}.tool_calls.${j}.arguments`, clip(call.arguments, max));
    });
  });
  return attributes;
}
