// The provider's own words when a call fails: an HTTP error body (OpenAI, Azure, Mistral or a gateway's HTML page),
// or an error event inside a stream. Kept short: about 1 KB of text (never more than `maxFieldBytes`), marked when cut.
import { clip } from "../util/serialize.js";

type Json = Record<string, any>;

/** An error message says what went wrong in a sentence or two; past 1 KB it is a page, not a message. */
const ERROR_BYTES = 1024;

/**
 * `clip` to 1 KB or `maxBytes` if less, leaving room for its cut mark: the export clips every field again, and a
 * text that already fits passes through untouched, so the mark keeps the original length rather than the first cut's.
 */
const bound = (text: string, maxBytes: number) => clip(text, Math.max(0, Math.min(maxBytes, ERROR_BYTES) - 64));

export interface ProviderError {
  type: string;
  code?: string;
  message: string;
}

/**
 * Reads an error body. OpenAI and Azure: `{ error: { message, type, code } }`; Mistral: `{ object: "error", message, type, code }`
 * or `{ detail: … }` (validation errors); a gateway's HTML page by its title, or its visible text; anything else as text.
 */
export function readErrorBody(text: string, status: number, statusText: string, maxBytes: number): ProviderError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const readable = /^\s*</.test(text) ? pageText(text) : text.trim();
    return readable
      ? { type: "non_json_body", message: bound(readable, maxBytes) }
      : { type: String(status), message: statusText || `HTTP ${status}` };
  }
  return errorFrom(body, maxBytes) ?? { type: String(status), message: bound(text, maxBytes) };
}

/** The error an object describes, in either dialect; undefined when it is not one. */
function errorFrom(body: unknown, maxBytes: number): ProviderError | undefined {
  if (!body || typeof body !== "object" || Array.isArray(body)) return undefined;
  const json = body as Json;
  const error: Json = json.error && typeof json.error === "object" ? json.error : json;
  const raw = error.message ?? json.detail ?? json.message;
  if (raw === undefined || raw === null) return undefined;
  const message = typeof raw === "string" ? raw : JSON.stringify(raw);
  const code = error.code ?? undefined;
  return {
    type: String(error.type ?? code ?? "error"),
    ...(code !== undefined && code !== null ? { code: String(code) } : {}),
    message: bound(message, maxBytes),
  };
}

/**
 * An error sent inside a stream: a chat completions chunk `{ error: {...} }` (OpenAI and Mistral send these mid-stream),
 * a Responses API `error` event, or `response.failed` with its `response.error`.
 */
export function streamedError(event: Json, name: string, maxBytes: number): ProviderError | undefined {
  if (event.error && typeof event.error === "object") return errorFrom(event, maxBytes);
  if (event.type === "error" || name === "error") return errorFrom(event, maxBytes) ?? { type: "error", message: "the stream sent an error event" };
  if (event.type === "response.failed") return errorFrom(event.response?.error ?? {}, maxBytes) ?? { type: "response.failed", message: "the response failed" };
  return undefined;
}

/** How far into a page we look: its title and first lines are near the top, and a huge page must not cost much. */
const HTML_SCAN = 65536;

/** A page (HTML, or XML) as a reader sees it: its `<title>`, or else its text without tags, scripts and styles. */
function pageText(html: string): string {
  const page = html.slice(0, HTML_SCAN);
  return textOf(/<title\b[^>]*>([\s\S]*?)<\/title/i.exec(page)?.[1] ?? "")
    || textOf(page.replace(/<!--[\s\S]*?-->|<(script|style)\b[\s\S]*?<\/\1[^>]*>/gi, " "));
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", nbsp: " " };

/** Tags out, the common entities decoded, whitespace collapsed. */
const textOf = (html: string) => html.replace(/<[^>]*>?/g, " ").replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name: string) => ENTITIES[name]!).replace(/\s+/g, " ").trim();
