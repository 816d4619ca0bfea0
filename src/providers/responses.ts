// OpenAI's Responses API (`/v1/responses`, also on Azure): the request, the JSON response, and the typed events
// of its stream (`response.output_text.delta`, function-call argument deltas, `response.completed` with usage).
// Everything lands in choice 0: the Responses API returns one output list, not choices.
import type { Choice, LlmCall, ToolCall } from "../core/step.js";
import { argumentsText, choiceAt, readEnvelope } from "./chat-completions.js";
import { asArray, END, readParams, TOKEN, type Dialect, type Json } from "./dialect.js";

const PARAMS = [
  "temperature", "top_p", "max_output_tokens", "max_tool_calls", "stream", "tool_choice", "parallel_tool_calls",
  "previous_response_id", "store", "truncation", "background", "service_tier", "user",
];

function readResponsesRequest(llm: LlmCall, body: Json): void {
  if (typeof body.model === "string" && body.model) llm.requestModel = body.model;
  llm.streamed = body.stream === true;
  readParams(llm, body, PARAMS);
  if (typeof body.tool_choice === "object" && body.tool_choice) llm.params.tool_choice = body.tool_choice.name ?? body.tool_choice.type;
  if (body.reasoning?.effort) llm.params.reasoning_effort = body.reasoning.effort;
  if (body.text?.format?.type) llm.params.response_format = body.text.format.type;
  // Function tools are flat here (`{ type: "function", name }`); built-in tools are known by their type.
  if (Array.isArray(body.tools)) llm.params.tools = body.tools.map((tool: Json) => tool?.name ?? tool?.type);
  const messages: Message[] = [];
  if (typeof body.instructions === "string") messages.push({ role: "system", content: body.instructions });
  if (typeof body.input === "string") messages.push({ role: "user", content: body.input });
  else if (Array.isArray(body.input)) for (const item of body.input) addInputItem(messages, item);
  if (messages.length) llm.messages = messages;
}

type Message = Record<string, unknown>;

/**
 * One `input` item as a chat completions message, so every exporter shows text: a message's content parts
 * joined, a function call as an assistant `tool_calls` entry (consecutive calls in one message, as chat sends
 * them), a tool's output as a `tool` message, and any other item (reasoning, hosted tool calls) named.
 */
function addInputItem(messages: Message[], item: Json): void {
  if (typeof item === "string") return void messages.push({ role: "user", content: item });
  if (!item || typeof item !== "object") return;
  const type = typeof item.type === "string" ? item.type : "message";
  if (type === "message") {
    messages.push({ role: typeof item.role === "string" ? item.role : "user", content: partsText(item.content) });
  } else if (type === "function_call" || type === "custom_tool_call") {
    const call = { id: item.call_id ?? item.id, type: "function", function: { name: item.name, arguments: argumentsText(item.arguments ?? item.input) } };
    const last = messages[messages.length - 1];
    if (last?.role === "assistant" && Array.isArray(last.tool_calls) && last.content === undefined) last.tool_calls.push(call);
    else messages.push({ role: "assistant", tool_calls: [call] });
  } else if (type.endsWith("_call_output")) {
    messages.push({ role: "tool", tool_call_id: item.call_id ?? item.id, content: partsText(item.output) });
  } else if (type === "reasoning") {
    messages.push({ role: "assistant", content: partsText(item.summary) || "[reasoning]" });
  } else {
    messages.push({ role: "assistant", content: `[${type}]` });
  }
}

/** Content as text: a string as it is; parts joined by lines, text by its text, anything else (images, files) by its type. */
function partsText(content: unknown): string {
  if (typeof content === "string") return content;
  if (content === undefined || content === null) return "";
  if (!Array.isArray(content)) return argumentsText(content);
  return content.map(partText).filter(Boolean).join("\n");
}

function partText(part: unknown): string {
  if (typeof part === "string") return part;
  if (!part || typeof part !== "object") return "";
  const { type, text, refusal } = part as Json;
  if (typeof text === "string") return text;
  if (type === "refusal" && typeof refusal === "string") return refusal;
  return typeof type === "string" ? `[${type}]` : "";
}

function readResponsesResponse(llm: LlmCall, body: Json): void {
  readEnvelope(llm, body);
  const choice = choiceAt(llm, 0);
  for (const item of asArray(body.output)) {
    if (item.type === "message") {
      for (const part of asArray(item.content)) {
        if (part.type === "output_text" && typeof part.text === "string") choice.text += part.text;
        if (part.type === "refusal" && typeof part.refusal === "string") choice.refusal = (choice.refusal ?? "") + part.refusal;
      }
    } else if (item.type === "function_call") {
      (choice.toolCalls ??= []).push(functionCall(item));
    }
  }
  finish(choice, body);
}

/** A reader for one stream. It keeps which output item each function call is, since argument deltas name only that. */
function responsesStreamReader(llm: LlmCall): (event: Json, name: string) => number {
  const calls = new Map<number, ToolCall>();
  const callAt = (event: Json) => calls.get(event.output_index);
  return (event, name) => {
    const type = typeof event.type === "string" ? event.type : name;
    switch (type) {
      case "response.output_text.delta":
        if (typeof event.delta !== "string" || !event.delta) return 0;
        choiceAt(llm, 0).text += event.delta;
        return TOKEN;
      case "response.refusal.delta": {
        if (typeof event.delta !== "string" || !event.delta) return 0;
        const choice = choiceAt(llm, 0);
        choice.refusal = (choice.refusal ?? "") + event.delta;
        return TOKEN;
      }
      case "response.output_item.added":
      case "response.output_item.done": {
        const item = event.item;
        if (item?.type !== "function_call") return 0;
        const known = callAt(event);
        if (known) Object.assign(known, functionCall(item, known.arguments));
        else {
          const call = functionCall(item);
          calls.set(event.output_index, call);
          (choiceAt(llm, 0).toolCalls ??= []).push(call);
        }
        return type === "response.output_item.added" ? TOKEN : 0;
      }
      case "response.function_call_arguments.delta": {
        const call = callAt(event);
        if (!call || typeof event.delta !== "string") return 0;
        call.arguments += event.delta;
        return TOKEN;
      }
      case "response.function_call_arguments.done": {
        const call = callAt(event);
        if (call && typeof event.arguments === "string") call.arguments = event.arguments;
        return 0;
      }
      case "response.created":
      case "response.in_progress":
        if (event.response) readEnvelope(llm, event.response);
        return 0;
      case "response.completed":
      case "response.incomplete":
      case "response.failed":
        if (event.response) {
          readEnvelope(llm, event.response);
          finish(choiceAt(llm, 0), event.response);
        }
        return END;
      default:
        return 0;
    }
  };
}

/** `call_id` is what the next request answers, so it is the tool call's id. */
function functionCall(item: Json, streamed = ""): ToolCall {
  const args = typeof item.arguments === "string" && item.arguments ? item.arguments : streamed;
  return { id: item.call_id ?? item.id, name: item.name, arguments: args };
}

/**
 * The Responses API has a status, not a finish reason: name it the way chat completions would, so one
 * `gen_ai.response.finish_reasons` query covers both (`stop`, `tool_calls`, or why it is incomplete).
 */
function finish(choice: Choice, response: Json): void {
  const status = response.status;
  if (status === "completed") choice.finishReason = choice.toolCalls?.length ? "tool_calls" : "stop";
  else if (status === "incomplete") choice.finishReason = response.incomplete_details?.reason ?? "incomplete";
  else if (status === "failed" || status === "cancelled") choice.finishReason = status;
}

export const responsesDialect: Dialect = {
  operation: "chat",
  readRequest: readResponsesRequest,
  readResponse: readResponsesResponse,
  streamReader: responsesStreamReader,
};
