// OpenAI's Responses API (`/v1/responses`, also on Azure): the request, the JSON response, and the typed events
// of its stream (`response.output_text.delta`, function-call argument deltas, `response.completed` with usage).
// Everything lands in choice 0: the Responses API returns one output list, not choices.
import type { Choice, LlmCall, ToolCall } from "../model/records.js";
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
  else if (Array.isArray(body.input)) messages.push(...body.input.map(inputMessage));
  if (messages.length) llm.messages = messages;
}

type Message = Record<string, unknown>;

/**
 * One `input` item as a chat completions message, so every exporter shows text: a message's content parts
 * joined, a function call as an assistant `tool_calls` entry, a tool's output as a `tool` message, reasoning
 * as its summary, and any other item (hosted tool calls, references) named by its type.
 */
function inputMessage(item: Json): Message {
  if (typeof item !== "object" || !item) return { role: "user", content: argumentsText(item) };
  const type = String(item.type ?? "message");
  if (type === "message") return { role: item.role ?? "user", content: partsText(item.content) };
  if (type === "function_call" || type === "custom_tool_call") {
    return { role: "assistant", tool_calls: [{ id: item.call_id, type: "function", function: { name: item.name, arguments: argumentsText(item.arguments ?? item.input) } }] };
  }
  if (type.endsWith("_call_output")) return { role: "tool", tool_call_id: item.call_id, content: partsText(item.output) };
  return { role: "assistant", content: partsText(item.summary) || `[${type}]` };
}

/** Content as text: parts joined by lines, a text part by its text, any other (an image, a file) by its type. */
const partsText = (content: unknown): string => Array.isArray(content)
  ? content.map((part) => (typeof part === "string" ? part : part?.text ?? part?.refusal ?? `[${part?.type}]`)).join("\n")
  : argumentsText(content);

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
