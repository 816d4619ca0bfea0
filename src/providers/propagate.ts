// Outbound trace context: requests to the hosts listed in `propagateTo` carry a `traceparent` naming the
// current scope, so the services they reach join the same trace. LLM providers get none unless listed.
import type { Recording } from "../record/collector.js";
import { isRequestLike } from "../util/request-like.js";
import { formatTraceparent } from "../util/traceparent.js";

type FetchArgs = [RequestInfo | URL, RequestInit | undefined];

/** The arguments to send: the caller's own, or copies carrying a `traceparent` when the URL is a `propagateTo` target. */
export function withTraceparent(where: Recording, input: RequestInfo | URL, init: RequestInit | undefined): FetchArgs {
  const patterns = where.collector.config.propagateTo;
  if (!patterns?.length) return [input, init];
  const request = isRequestLike(input) ? input : undefined;
  if (!matches(request ? request.url : String(input), patterns)) return [input, init];
  // Never change the caller's objects: headers are copied, then set on the copy.
  const headers = new Headers(init?.headers ?? (request as Request | undefined)?.headers);
  if (!headers.has("traceparent")) {
    headers.set("traceparent", formatTraceparent(where.collector.traceId, where.scope.spanId));
    const state = where.collector.parent?.traceState;
    if (state && !headers.has("tracestate")) headers.set("tracestate", state);
  }
  return request && !init ? [new Request(request as Request, { headers }), undefined] : [input, { ...init, headers }];
}

/** A host (`api.internal.example`, subdomains included), a URL prefix (`https://svc.example/v1`), or a RegExp on the URL. */
function matches(url: string, patterns: Array<string | RegExp>): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return patterns.some((pattern) =>
    typeof pattern === "string"
      ? pattern.includes("://") ? url.startsWith(pattern) : host === pattern || host.endsWith(`.${pattern}`)
      : pattern.test(url),
  );
}
