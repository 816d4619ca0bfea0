// A model of what phospho's server does with our exports after its 200 (it answers before it processes), read from
// its source: /v2/log in log-v2.ts, /v3/otl in otl-v3.ts, the dashboard's task view in task-view.ts. Pure: no I/O.
//
// Every problem starts with its rule's tag (paths under phospho-app/phospho backend/phospho_backend/):
//   [v2.422]            whole batch refused: loose LogRequest parse (api/v2/endpoints/log.py, MinimalLogEvent)
//   [v2.strict]         one event refused, error_in_log: strict LogEvent (api/v2/models/log.py)
//   [v2.project]        event names another project than the URL (api/v2/endpoints/log.py)
//   [v2.created-at]     time negative or > 24 h ahead, replaced by now (services/log.py get_time_created_at)
//   [v2.dropped]        top-level key named like a Task field that is not copied, e.g. environment, and not in the
//                       metadata either (services/log.py collect_metadata)
//   [v2.shadowed]       top-level key hidden by the same metadata key (collect_metadata)
//   [v2.tokens-raise]   prompt token estimate raises: no task, no session for the request (get_nb_tokens_prompt_tokens)
//   [v3.500]            body is not a TracesData message (api/v3/endpoints/log.py)
//   [v3.raise]          attribute unpacking raises: no span of the request stored (services/integrations/opentelemetry.py)
//   [v3.attribute]      an attribute skipped, misplaced or replaced by the unpacking (same file)
//   [v3.no-gen-ai]      span without gen_ai.*: discarded (same file)
//   [v3.no-task]        stored span with no string task id: no task shows it
//   [v3.view]           a task's Steps view answers 500 (api/platform/models/tasks.py TaskSpans → StandardSpanModel)
//   [cross.duplicate-task], [cross.unlogged-task]   across requests (createServerStore, phosphoProblems)
import { checkV2LogBytes, type V2Options, type V2Result } from "./log-v2.js";
import { checkV3Otl, type V3Result } from "./otl-v3.js";
import { taskViews, type StoredSpan } from "./task-view.js";

export { checkV2Log, checkV2LogBytes, type StoredLog, type V2Event, type V2Options, type V2Result } from "./log-v2.js";
export { checkV3Otl, convertAttributes, type V3Result } from "./otl-v3.js";
export { taskViewError, type StoredSpan } from "./task-view.js";

/** A request as a test captured it (mock-phospho's PhosphoRequest fits). */
export interface CapturedRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | string[] | undefined>;
  body: Uint8Array;
  /** The status the test's server answered, if known: requests a real server would not have processed are skipped. */
  status?: number | null;
}

export interface RequestCheck {
  route: "v2/log" | "v3/otl";
  projectId: string;
  v2?: V2Result;
  v3?: V3Result;
  problems: string[];
}

export interface PhosphoSummary {
  requests: number;
  /** /v2/log requests refused whole (422). */
  requestsRefused: number;
  eventsStored: number;
  /** Events answered with `error_in_log`, plus every event of a 422 batch. */
  eventsRefused: number;
  spansStored: number;
  /** Spans not stored: discarded (no gen_ai.*) or lost with their whole request. */
  spansLost: number;
  /** Task id → why the dashboard's Steps view of that task answers 500. */
  taskViewsFailing: Record<string, string>;
  /** Every problem, per request then across requests, each starting with its rule tag. */
  problems: string[];
}

const ROUTE = /\/(v2\/log|v3\/otl)\/([^/]+)\/?$/;
/** Statuses after which a real server would not have processed the request either (auth, route, quota, outage). */
const NOT_PROCESSED = (status: number) => status === 401 || status === 403 || status === 404 || status === 429 || status >= 500;
const header = (headers: CapturedRequest["headers"], name: string) => {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
};
/** Events in a body the model refused whole, counted as JSON sees them. */
function eventCount(body: Uint8Array): number {
  try {
    const events = JSON.parse(new TextDecoder().decode(body))?.batched_log_events;
    return Array.isArray(events) ? events.length : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs one captured request through the model; null when it is not a phospho ingestion request.
 *
 * @example checkRequest({ path: "/v3/otl/proj", body: bytes })?.problems
 */
export function checkRequest(request: CapturedRequest, options: Omit<V2Options, "projectId"> = {}): RequestCheck | null {
  const match = ROUTE.exec(request.path.split("?")[0]!);
  if (!match || (request.method ?? "POST") !== "POST") return null;
  const route = match[1] as RequestCheck["route"];
  const projectId = decodeURIComponent(match[2]!);
  if (route === "v3/otl") {
    const v3 = checkV3Otl(request.body);
    return { route, projectId, v3, problems: v3.problems };
  }
  const v2 = checkV2LogBytes(request.body, header(request.headers, "content-type"), { ...options, projectId });
  return { route, projectId, v2, problems: v2.problems };
}

/**
 * Accumulates requests the way phospho's database would: per-request problems as they come, plus what only shows
 * across requests (a task id logged twice, spans whose task was never logged).
 *
 * @example const store = createServerStore(); store.add(request); store.summary().problems
 */
export function createServerStore(options: Omit<V2Options, "projectId"> = {}) {
  const tasks = new Map<string, string>(); // task id → JSON of the first stored version
  const spans: StoredSpan[] = [];
  const perRequest: string[] = [];
  const counts = { requests: 0, requestsRefused: 0, eventsStored: 0, eventsRefused: 0, spansStored: 0, spansLost: 0 };
  let sawLogs = false;

  return {
    /** Adds one request; returns its problems (empty for a request the model skips). */
    add(request: CapturedRequest): string[] {
      if (typeof request.status === "number" && NOT_PROCESSED(request.status)) return [];
      const check = checkRequest(request, options);
      if (!check) return [];
      counts.requests++;
      const problems = [...check.problems];
      if (check.v3) {
        counts.spansStored += check.v3.stored.length;
        counts.spansLost += check.v3.lost;
        spans.push(...check.v3.stored);
      }
      const v2 = check.v2;
      if (v2) {
        sawLogs = true;
        if (v2.status === 422) {
          counts.requestsRefused++;
          counts.eventsRefused += eventCount(request.body);
        }
        for (const event of v2.events) {
          if (!event.ok) {
            counts.eventsRefused++;
            continue;
          }
          counts.eventsStored++;
          const { taskId, taskIdGenerated, input, output, metadata, flag } = event.stored;
          if (taskIdGenerated || !v2.tasksCreated) continue;
          const version = JSON.stringify({ input, output, flag, metadata });
          const first = tasks.get(taskId);
          if (first === undefined) tasks.set(taskId, version);
          else {
            const what = first === version ? "an identical copy" : "a different version, which is lost";
            problems.push(`[cross.duplicate-task] task ${taskId} logged again (${what}): the server keeps the first task, yet counts the log in its session again`);
          }
        }
      }
      perRequest.push(...problems);
      return problems;
    },
    summary(): PhosphoSummary {
      const views = taskViews(spans);
      const failing = Object.fromEntries(Object.entries(views).filter(([, view]) => view !== "ok"));
      const cross: string[] = [];
      if (sawLogs) {
        for (const taskId of Object.keys(views)) {
          if (!tasks.has(taskId)) cross.push(`[cross.unlogged-task] spans of task ${taskId} are stored, but no accepted log created that task: the dashboard lists no task to show them under`);
        }
      }
      return { ...counts, taskViewsFailing: failing, problems: [...perRequest, ...cross] };
    },
  };
}

/**
 * Summarises what phospho would lose or refuse in a list of captured requests: events refused, spans lost, task
 * views failing. Requests answered 401/403/404/429/5xx by the test's server are skipped.
 *
 * @example phosphoProblems(mock.requests).problems // [] when phospho keeps everything
 */
export function phosphoProblems(requests: readonly CapturedRequest[], options: Omit<V2Options, "projectId"> = {}): PhosphoSummary {
  const store = createServerStore(options);
  for (const request of requests) store.add(request);
  return store.summary();
}
