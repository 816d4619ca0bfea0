// The request body as text, read from a copy so the caller's body is never consumed; and the one change we
// ever make to it: `injectStreamUsage` asking a streamed OpenAI chat request for its usage.
import { isJsonObject } from "./dialect.js";
import type { RequestLike } from "../util/request-like.js";


/**
 * The body's text: at once for a string or bytes (what the SDKs send), later for a Blob or a Request.
 * Undefined for a stream or form, which cannot be read without taking them from the caller.
 */
export function bodyText(init: RequestInit | undefined, request: RequestLike | undefined): string | Promise<string> | undefined {
  const body = init?.body;
  if (body === undefined || body === null) return request?.clone().text();
  if (typeof body === "string") return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new TextDecoder().decode(body);
  if (typeof (body as Blob).text === "function" && typeof (body as Blob).size === "number") return (body as Blob).text();
  return undefined;
}

/**
 * The body to send instead, with `stream_options.include_usage: true`, when a streamed chat request does not say
 * whether it wants usage; undefined when it should go out unchanged (not streamed, already says, not JSON).
 * When `stream_options` is absent the field is appended to the text, so every other byte stays as the caller wrote it.
 */
export function withStreamUsage(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(body) || body.stream !== true) return undefined;
  if (!("stream_options" in body)) {
    const end = text.lastIndexOf("}");
    return `${text.slice(0, end)},"stream_options":{"include_usage":true}${text.slice(end)}`;
  }
  const options = body.stream_options;
  if (options !== null && (!isJsonObject(options) || options.include_usage !== undefined)) return undefined;
  return JSON.stringify({ ...body, stream_options: { ...options, include_usage: true } });
}

/** The fetch arguments carrying `text` as the body, or undefined when the call shape does not allow it safely. */
export function replaceBody(input: RequestInfo | URL, init: RequestInit | undefined, text: string): [RequestInfo | URL, RequestInit | undefined] | undefined {
  if (init?.body !== undefined && init.body !== null) return [input, { ...init, body: text }];
  // A Request of this realm can be copied with a new body; a foreign one goes out as it came.
  if (typeof Request === "function" && input instanceof Request) return [new Request(input, { body: text }), init];
  return undefined;
}
