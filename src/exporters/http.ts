// Sends one export request, retrying transient failures (network errors, 408, 429, 5xx) with exponential
// backoff and full jitter, honouring Retry-After, all within the flush budget. Ids are stable, so a retry
// never duplicates (phospho keeps the first write of a task_id; OTLP backends dedupe by span id).
import { now } from "../util/clock.js";
import { describeError } from "../util/warn.js";
import { emptyResult, type ExportOptions, type ExportResult } from "../model/exporter.js";

export interface PostRequest {
  destination: string;
  url: string;
  headers: Record<string, string>;
  body: BodyInit;
  /** How many logs and steps the request carries. */
  count: number;
  /** Reads a 2xx reply for per-item refusals (phospho's `error_in_log`); returns their reasons. */
  refusals?: (reply: string) => string[];
}

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

const isTransient = (status: number) => status === 408 || status === 429 || status >= 500;

export async function postWithRetry(request: PostRequest, options: ExportOptions): Promise<ExportResult> {
  const result = emptyResult();
  const fail = (reason: string) => {
    result.dropped = request.count;
    result.errors.push({ destination: request.destination, reason, count: request.count });
    return result;
  };
  for (let attempt = 0; ; attempt++) {
    let reason: string;
    let retryAfterMs: number | undefined;
    try {
      const response = await options.fetch(request.url, { method: "POST", headers: request.headers, body: request.body, signal: options.signal });
      const reply = await response.text();
      if (response.ok) {
        const refused = request.refusals?.(reply) ?? [];
        result.sent = request.count - refused.length;
        result.dropped = refused.length;
        if (refused.length) result.errors.push({ destination: request.destination, reason: refused[0]!, count: refused.length });
        return result;
      }
      reason = `HTTP ${response.status}${reply ? `: ${reply.slice(0, 300)}` : ""}`;
      if (!isTransient(response.status)) return fail(reason);
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    } catch (error) {
      reason = describeError(error);
      if (options.signal.aborted) return fail(`flush budget spent (${reason})`);
    }
    const delay = retryAfterMs ?? Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
    if (now() + delay >= options.deadline) return fail(`${reason}; no time left in the flush budget to retry`);
    if (attempt === 0) result.retried = request.count;
    if (!(await sleep(delay, options.signal))) return fail(`${reason}; flush budget spent while waiting to retry`);
  }
}

/** Retry-After is seconds or an HTTP date. */
function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isNaN(ms) ? undefined : Math.max(0, ms);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, Math.ceil(ms));
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
