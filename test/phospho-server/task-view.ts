// The dashboard's Steps view of a task (api/platform/endpoints/tasks.py → TaskSpans in api/platform/models/tasks.py):
// it validates every stored span of the task as a StandardSpanModel (lax pydantic) and answers 500 if one fails.
import type { Json } from "./python.js";

/** One span as phospho stores it in its `opentelemetry` collection. */
export interface StoredSpan {
  name: string;
  spanId: string;
  /** `phospho.task_id` (or the propagated one): any type; only a string links the span to a task. */
  taskId: Json;
  sessionId: Json;
  metadata: Json;
  propagate: Json;
  startTimeUnixNano: string;
  /** The span's attributes after the server's dotted-key unpacking. */
  attributes: Json;
}

const isObj = (v: Json): boolean => typeof v === "object" && v !== null && !Array.isArray(v);
const kind = (v: Json): string =>
  v === null ? "None" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a dict" : typeof v === "number" ? "a float" : typeof v === "boolean" ? "a bool" : "a str";
/** Lax bool: bools, 0/1, and these strings in any case. */
const BOOL_STRINGS = new Set(["0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"]);

/**
 * Why StandardSpanModel refuses this span, or null. Its required `session_id: str` has no default, `metadata` is
 * `Optional[dict]` and `propagate` `Optional[bool]`; org, project, task ids, times and the raw data always fit.
 */
export function taskViewError(span: StoredSpan): string | null {
  const errors: string[] = [];
  if (typeof span.sessionId !== "string") errors.push(`session_id should be a string, is ${kind(span.sessionId)} (phospho.session_id)`);
  if (span.metadata !== null && !isObj(span.metadata)) errors.push(`metadata should be a dict or absent, is ${kind(span.metadata)} (phospho.metadata.*)`);
  const p = span.propagate;
  const boolish = p === null || typeof p === "boolean" || p === 0 || p === 1 || (typeof p === "string" && BOOL_STRINGS.has(p.toLowerCase()));
  if (!boolish) errors.push(`propagate should be a bool, is ${kind(p)} ${JSON.stringify(p)} (phospho.propagate)`);
  return errors.length ? errors.join("; ") : null;
}

/** For each task id: "ok", or `500: …` when the dashboard's task-spans endpoint fails on one of its spans. */
export function taskViews(stored: StoredSpan[]): Record<string, string> {
  const views: Record<string, string> = {};
  for (const span of stored) {
    if (typeof span.taskId !== "string") continue;
    const error = taskViewError(span);
    if (views[span.taskId] === undefined || views[span.taskId] === "ok") views[span.taskId] = error ? `500: span "${span.name}": ${error}` : "ok";
  }
  return views;
}

/** Stored spans that no task view can reach: no task id, or one that is not a string. */
export function storedSpanProblems(stored: StoredSpan[]): string[] {
  return stored.flatMap((span) => {
    if (typeof span.taskId === "string") return [];
    const why = span.taskId === null ? "has no phospho.task_id" : `has a phospho.task_id that is not a string (${JSON.stringify(span.taskId)})`;
    return [`[v3.no-task] span "${span.name}" is stored but ${why}: no task shows it`];
  });
}
