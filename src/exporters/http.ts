// Sends one export request, retrying transient failures (network errors, 408, 429, 5xx) with exponential
// backoff and full jitter, honouring Retry-After, all within the flush budget. It is also where every exporter
// builds its ExportResult errors, so `retryable` and `status` mean the same for every destination.
import { now } from "../util/clock.js";
import { describeError } from "../util/warn.js";
import { emptyResult, type ExportOptions, type ExportResult } from "../model/exporter.js";

export type ExportError = ExportResult["errors"][number];

export interface PostRequest {
  destination: string;
  /** For an exporter that sends a batch in several requests: which part this one is (phospho: `logs`, `steps`). */
  part?: string;
  url: string;
  headers: Record<string, string>;
  body: BodyInit;
  /** How many logs and steps the request carries. */
  count: number;
  /** Reads a 2xx reply for per-item refusals (phospho's `error_in_log`): their reasons, and whether the server kept the item anyway. */
  refusals?: (reply: string) => Array<{ reason: string; stored?: boolean }>;
}

/**
 * Export options with the parts to send. The Queue consumer sets `parts` when it re-sends a message some parts
 * of which a destination already accepted: a request whose `part` is not listed is skipped, and counts nothing.
 */
export interface PartsOptions extends ExportOptions {
  parts?: readonly string[];
}

const BASE_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/** A reply with this status may be different if the request is sent again later: 408, 429 and 5xx. */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * One entry of `ExportResult.errors`. A failed reply's `status` decides `retryable` ({@link isRetryableStatus});
 * without a reply the caller says: a network error or the budget running out may pass, a refusal will not.
 *
 * @example exportError("otlp collector:4318", "HTTP 503: busy", 12, { status: 503 }) // retryable: true, status: 503
 */
export function exportError(
  destination: string,
  reason: string,
  count: number,
  cause: { status: number } | { retryable: boolean },
  more?: Pick<ExportError, "part" | "stored">,
): ExportError {
  return "status" in cause
    ? { destination, reason, count, retryable: isRetryableStatus(cause.status), status: cause.status, ...more }
    : { destination, reason, count, retryable: cause.retryable, ...more };
}

export async function postWithRetry(request: PostRequest, options: PartsOptions): Promise<ExportResult> {
  const result = emptyResult();
  if (request.part !== undefined && options.parts && !options.parts.includes(request.part)) return result;
  const part = request.part === undefined ? {} : { part: request.part };
  const fail = (reason: string, cause: { status: number } | { retryable: boolean }) => {
    result.dropped = request.count;
    result.errors.push(exportError(request.destination, reason, request.count, cause, part));
    return result;
  };
  for (let attempt = 0; ; attempt++) {
    let reason: string;
    let retryAfterMs: number | undefined;
    // Why the next retry would be needed: the reply's status, or none (a network error).
    let cause: { status: number } | { retryable: boolean } = { retryable: true };
    try {
      const response = await options.fetch(request.url, { method: "POST", headers: request.headers, body: request.body, signal: options.signal });
      const reply = await response.text();
      if (response.ok) {
        // The server read these items and said no: sending them again gets the same answer. Those it kept
        // anyway (phospho: over quota, stored without analytics) are reported apart and count as sent.
        const refused = request.refusals?.(reply) ?? [];
        const lost = refused.filter((item) => !item.stored);
        result.sent = request.count - (result.dropped = lost.length);
        for (const items of [lost, refused.filter((item) => item.stored)]) {
          if (items.length) result.errors.push(exportError(request.destination, items[0]!.reason, items.length, { retryable: false }, items[0]!.stored ? { ...part, stored: true } : part));
        }
        return result;
      }
      reason = `HTTP ${response.status}${reply ? `: ${reply.slice(0, 300)}` : ""}`;
      cause = { status: response.status };
      if (!isRetryableStatus(response.status)) return fail(reason, cause);
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    } catch (error) {
      reason = describeError(error);
      if (options.signal.aborted) return fail(`flush budget spent (${reason})`, { retryable: true });
    }
    const delay = retryAfterMs ?? Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
    if (now() + delay >= options.deadline) return fail(`${reason}; no time left in the flush budget to retry`, cause);
    if (attempt === 0) result.retried = request.count;
    if (!(await sleep(delay, options.signal))) return fail(`${reason}; flush budget spent while waiting to retry`, cause);
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
