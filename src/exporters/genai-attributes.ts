// GenAI semantic-convention attributes of an LLM step, shared by every span exporter.
// `semconv` picks between the names that differ between the current conventions and the legacy ones
// (provider, usage, prompt and completion content). Names the two share, and names only one of them has
// (embeddings dimension, agent id, time to first chunk…), are always written: they duplicate nothing.
import type { Attributes } from "@opentelemetry/api";
import { clip } from "../core/serialize.js";
import type { LlmCall } from "../core/step.js";
import type { ExportedStep } from "./exporter.js";

const REQUEST_PARAMS: Record<string, string> = {
  temperature: "gen_ai.request.temperature",
  top_p: "gen_ai.request.top_p",
  max_tokens: "gen_ai.request.max_tokens",
  max_completion_tokens: "gen_ai.request.max_tokens",
  max_output_tokens: "gen_ai.request.max_tokens",
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
  const current = options.semconv !== "legacy";
  const legacy = options.semconv !== "current";
  const llm = step.llm!;
  const set = (key: string, value: Attributes[string] | null) => {
    if (value !== undefined && value !== null) attributes[key] = value;
  };

  // Shared by both conventions.
  set("gen_ai.operation.name", llm.operation);
  set("gen_ai.request.model", llm.requestModel);
  set("gen_ai.response.model", llm.responseModel);
  set("server.address", llm.serverAddress);
  set("server.port", llm.serverPort);
  set("http.request.method", llm.method);
  set("url.path", llm.path);
  set("http.response.status_code", llm.httpStatus);
  if (step.error) set("error.type", llm.errorCode ?? step.error.type);
  if (llm.parseProblem) set("edge_tracer.parse_problem", llm.parseProblem);
  // Set at export when a long history was bounded to maxFieldBytes: nothing is left out unsaid.
  const leftOut = llm.params["edge_tracer.messages_left_out"];
  if (typeof leftOut === "number") set("edge_tracer.messages_left_out", leftOut);
  if (current) set("gen_ai.provider.name", providerName(llm));
  if (legacy) set("gen_ai.system", llm.provider === "mistral" ? "mistral_ai" : "openai");
  if (llm.operation === "generic") return attributes;

  set("gen_ai.response.id", llm.responseId);
  set("gen_ai.openai.response.system_fingerprint", llm.systemFingerprint);
  set("gen_ai.agent.id", llm.agentId);
  for (const [param, key] of Object.entries(REQUEST_PARAMS)) {
    if (typeof llm.params[param] === "number") set(key, llm.params[param] as number);
  }
  const stop = llm.params.stop;
  if (stop !== undefined) set("gen_ai.request.stop_sequences", (Array.isArray(stop) ? stop : [stop]).map(String));
  const format = llm.params.response_format;
  if (typeof format === "string") set("gen_ai.output.type", format === "text" ? "text" : "json");
  set("gen_ai.request.stream", llm.streamed);
  const reasons = llm.choices.map((choice) => choice?.finishReason).filter((reason): reason is string => !!reason);
  if (reasons.length) set("gen_ai.response.finish_reasons", reasons);
  if (llm.usage) {
    if (current) {
      set("gen_ai.usage.input_tokens", llm.usage.inputTokens);
      set("gen_ai.usage.output_tokens", llm.usage.outputTokens);
    }
    if (legacy) {
      set("gen_ai.usage.prompt_tokens", llm.usage.inputTokens);
      set("gen_ai.usage.completion_tokens", llm.usage.outputTokens);
      set("llm.usage.total_tokens", llm.usage.totalTokens);
    }
  }
  if (step.firstTokenTime !== undefined) set("gen_ai.response.time_to_first_chunk", (step.firstTokenTime - step.startTime) / 1000);
  if (llm.lastTokenTime !== undefined) set("edge_tracer.stream.last_token_at", (llm.lastTokenTime - step.startTime) / 1000);
  if (llm.chunks !== undefined) set("edge_tracer.stream.chunks", llm.chunks);

  if (llm.embeddings) {
    // Counts only: a vector is never exported.
    set("edge_tracer.embeddings.inputs", llm.embeddings.inputs);
    set("gen_ai.embeddings.dimension.count", llm.embeddings.dimension);
    const encoding = llm.params.encoding_format;
    if (typeof encoding === "string") set("gen_ai.request.encoding_formats", [encoding]);
    return attributes;
  }
  if (llm.suffix !== undefined) set("edge_tracer.fim.suffix", clip(llm.suffix, max));
  if (current) Object.assign(attributes, currentContent(step, llm, max));
  if (legacy) Object.assign(attributes, legacyContent(llm, max));
  return attributes;
}

/** Azure OpenAI is a provider of its own in the current conventions; the legacy `gen_ai.system` called it openai. */
function providerName(llm: LlmCall): string {
  if (llm.provider === "mistral") return "mistral_ai";
  return /\.azure\.com$/.test(llm.serverAddress) ? "azure.ai.openai" : "openai";
}

/** Current names hold JSON: the input messages as sent, the output as role + parts per choice. */
function currentContent(step: ExportedStep, llm: LlmCall, max: number): Attributes {
  const attributes: Attributes = {};
  // The messages' text was bounded when the batch was built; a prompt is bounded here.
  if (step.inputText !== undefined) attributes["gen_ai.input.messages"] = step.inputText;
  else if (llm.prompt !== undefined) attributes["gen_ai.input.messages"] = JSON.stringify([{ role: "user", parts: [{ type: "text", content: clip(llm.prompt, max) }] }]);
  const output = llm.choices.filter(Boolean).map((choice) => ({
    role: "assistant",
    parts: [
      ...(choice.text ? [{ type: "text", content: clip(choice.text, max) }] : []),
      ...(choice.refusal ? [{ type: "refusal", content: clip(choice.refusal, max) }] : []),
      ...(choice.toolCalls ?? []).map((call) => ({ type: "tool_call", id: call.id, name: call.name, arguments: clip(call.arguments, max) })),
    ],
    finish_reason: choice.finishReason,
  }));
  if (output.length) attributes["gen_ai.output.messages"] = clip(JSON.stringify(output), max);
  return attributes;
}

/** Legacy names: one attribute per message field, `gen_ai.prompt.{i}.*` and `gen_ai.completion.{i}.*`. */
function legacyContent(llm: LlmCall, max: number): Attributes {
  const attributes: Attributes = {};
  const set = (key: string, value: string | undefined) => {
    if (value !== undefined) attributes[key] = value;
  };
  const messages: unknown[] = Array.isArray(llm.messages) ? llm.messages : llm.prompt !== undefined ? [{ role: "user", content: llm.prompt }] : [];
  messages.forEach((message: any, i: number) => {
    set(`gen_ai.prompt.${i}.role`, typeof message?.role === "string" ? message.role : undefined);
    const content = message?.content;
    set(`gen_ai.prompt.${i}.content`, content === undefined || content === null ? undefined : clip(typeof content === "string" ? content : JSON.stringify(content), max));
  });
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
