// GenAI semantic-convention attributes of an LLM step, shared by every span exporter.
// `semconv` picks between the names that differ between the current conventions and the legacy ones
// (provider, usage, prompt and completion content). Names the two share, and names only one of them has
// (embeddings dimension, agent id, time to first chunk…), are always written: they duplicate nothing.
import type { Attributes } from "@opentelemetry/api";
import type { LlmCall } from "../model/records.js";
import type { ExportedStep } from "../model/exporter.js";

/** Numeric request parameters, in the order their `gen_ai.request.*` attributes are written. */
const REQUEST_PARAMS = ["temperature", "top_p", "max_tokens", "max_completion_tokens", "max_output_tokens", "seed", "random_seed", "presence_penalty", "frequency_penalty", "n"];
/** The parameters written under another name (each provider's own spelling of the same setting). */
const PARAM_NAMES: Record<string, string> = { max_completion_tokens: "max_tokens", max_output_tokens: "max_tokens", random_seed: "seed", n: "choice.count" };

/** `current` names (gen_ai.usage.input_tokens…), `legacy` ones (gen_ai.prompt.0.content…, which phospho reads), or `both`. */
export type Semconv = "current" | "legacy" | "both";

/** Sets an attribute, unless its value is missing (undefined or null). */
type Setter = (key: string, value: Attributes[string] | null) => void;

/** The GenAI semantic-convention attributes of an LLM step. */
export function genAiAttributes(step: ExportedStep, semconv: Semconv): Attributes {
  const attributes: Attributes = {};
  const current = semconv !== "legacy";
  const legacy = semconv !== "current";
  const llm = step.llm!;
  const set: Setter = (key, value) => {
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
  // A long history bounded to maxFieldBytes: nothing is left out unsaid.
  set("edge_tracer.messages_left_out", step.messagesLeftOut);
  // Azure OpenAI is a provider of its own in the current conventions; the legacy `gen_ai.system` called it openai.
  const system = llm.provider === "mistral" ? "mistral_ai" : "openai";
  if (current) set("gen_ai.provider.name", system === "openai" && /\.azure\.com$/.test(llm.serverAddress) ? "azure.ai.openai" : system);
  if (legacy) set("gen_ai.system", system);
  if (llm.operation === "generic") return attributes;

  set("gen_ai.response.id", llm.responseId);
  set("gen_ai.openai.response.system_fingerprint", llm.systemFingerprint);
  set("gen_ai.agent.id", llm.agentId);
  for (const param of REQUEST_PARAMS) {
    if (typeof llm.params[param] === "number") set(`gen_ai.request.${PARAM_NAMES[param] ?? param}`, llm.params[param] as number);
  }
  const stop = llm.params.stop;
  if (stop !== undefined) set("gen_ai.request.stop_sequences", (Array.isArray(stop) ? stop : [stop]).map(String));
  const format = llm.params.response_format;
  if (typeof format === "string") set("gen_ai.output.type", format === "text" ? "text" : "json");
  set("gen_ai.request.stream", llm.streamed);
  const reasons = llm.choices.map((choice) => choice?.finishReason).filter((reason): reason is string => !!reason);
  if (reasons.length) set("gen_ai.response.finish_reasons", reasons);
  const usage = llm.usage;
  if (usage && current) {
    set("gen_ai.usage.input_tokens", usage.inputTokens);
    set("gen_ai.usage.output_tokens", usage.outputTokens);
  }
  if (usage && legacy) {
    set("gen_ai.usage.prompt_tokens", usage.inputTokens);
    set("gen_ai.usage.completion_tokens", usage.outputTokens);
    set("llm.usage.total_tokens", usage.totalTokens);
  }
  if (step.firstTokenTime !== undefined) set("gen_ai.response.time_to_first_chunk", (step.firstTokenTime - step.startTime) / 1000);
  if (llm.lastTokenTime !== undefined) set("edge_tracer.stream.last_token_at", (llm.lastTokenTime - step.startTime) / 1000);
  set("edge_tracer.stream.chunks", llm.chunks);

  if (llm.embeddings) {
    // Counts only: a vector is never exported.
    set("edge_tracer.embeddings.inputs", llm.embeddings.inputs);
    set("gen_ai.embeddings.dimension.count", llm.embeddings.dimension);
    const encoding = llm.params.encoding_format;
    if (typeof encoding === "string") set("gen_ai.request.encoding_formats", [encoding]);
    return attributes;
  }
  set("edge_tracer.fim.suffix", llm.suffix);
  if (current) setCurrentContent(set, step, llm);
  if (legacy) setLegacyContent(set, llm);
  return attributes;
}

/** Current names hold JSON: the input messages as sent, the output as role + parts per choice. */
function setCurrentContent(set: Setter, step: ExportedStep, llm: LlmCall): void {
  // Every text was bounded once, before the batch reached any exporter.
  set("gen_ai.input.messages", step.inputText ?? (llm.prompt === undefined ? undefined : JSON.stringify([{ role: "user", parts: [{ type: "text", content: llm.prompt }] }])));
  const output = llm.choices.filter(Boolean).map((choice) => ({
    role: "assistant",
    parts: [
      ...(choice.text ? [{ type: "text", content: choice.text }] : []),
      ...(choice.refusal ? [{ type: "refusal", content: choice.refusal }] : []),
      ...(choice.toolCalls ?? []).map((call) => ({ type: "tool_call", id: call.id, name: call.name, arguments: call.arguments })),
    ],
    finish_reason: choice.finishReason,
  }));
  if (output.length) set("gen_ai.output.messages", JSON.stringify(output));
}

/** Legacy names: one attribute per message field, `gen_ai.prompt.{i}.*` and `gen_ai.completion.{i}.*`. */
function setLegacyContent(set: Setter, llm: LlmCall): void {
  const messages: unknown[] = Array.isArray(llm.messages) ? llm.messages : llm.prompt !== undefined ? [{ role: "user", content: llm.prompt }] : [];
  messages.forEach((message: any, i: number) => {
    set(`gen_ai.prompt.${i}.role`, typeof message?.role === "string" ? message.role : undefined);
    const content = message?.content;
    set(`gen_ai.prompt.${i}.content`, content === undefined || content === null ? undefined : typeof content === "string" ? content : JSON.stringify(content));
  });
  llm.choices.forEach((choice) => {
    if (!choice) return;
    const prefix = `gen_ai.completion.${choice.index}`;
    set(`${prefix}.role`, "assistant");
    set(`${prefix}.content`, choice.text);
    set(`${prefix}.finish_reason`, choice.finishReason);
    if (choice.refusal) set(`${prefix}.refusal`, choice.refusal);
    choice.toolCalls?.forEach((call, j) => {
      set(`${prefix}.tool_calls.${j}.id`, call.id);
      set(`${prefix}.tool_calls.${j}.name`, call.name);
      set(`${prefix}.tool_calls.${j}.arguments`, call.arguments);
    });
  });
}
