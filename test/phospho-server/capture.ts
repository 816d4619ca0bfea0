// A fetch that answers like phospho and keeps every request, for unit tests that run an exporter's output through
// the server model without a server: `phosphoProblems(capture.requests)`.
import type { CapturedRequest } from "./model.js";

export interface PhosphoCapture {
  fetch: typeof fetch;
  requests: CapturedRequest[];
  /** The JSON events of every /v2/log request, in order. */
  events(): Record<string, any>[];
}

/** Answers 200 to everything (`{ logged_events: [] }` for logs, `{ status: "ok" }` for traces), keeping each request. */
export function capturePhospho(): PhosphoCapture {
  const requests: CapturedRequest[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    const headers = Object.fromEntries(request.headers);
    requests.push({ method: request.method, path, headers, body: new Uint8Array(await request.arrayBuffer()), status: 200 });
    return Response.json(path.includes("/v2/log/") ? { logged_events: [] } : { status: "ok" });
  }) as typeof globalThis.fetch;
  const events = () =>
    requests.filter((r) => r.path.includes("/v2/log/")).flatMap((r) => JSON.parse(new TextDecoder().decode(r.body)).batched_log_events);
  return { fetch, requests, events };
}
