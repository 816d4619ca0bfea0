// A `tracer()` / `trace()` block: ids and metadata that apply to every log and step inside it. Scopes nest.
import { newSpanId } from "../util/ids.js";
import { now } from "../util/clock.js";

/** What a `tracer()` block or `trace()` wrapper sets for everything inside it. */
export interface ScopeOptions {
  /** Every log in the block gets this task id (phospho keeps the first write of an id). */
  task_id?: string;
  /** Every log in the block gets this session id. */
  session_id?: string;
  /** Merged into the metadata of every log in the block; inner blocks win. */
  metadata?: Record<string, unknown>;
  /** A name for the block in traces. Default `tracer`. */
  name?: string;
}

export interface Scope {
  readonly parent: Scope | undefined;
  readonly options: ScopeOptions;
  /** The scope's span: the parent of every step that starts in it. */
  readonly spanId: string;
  readonly startTime: number;
  endTime?: number;
}

/** `spanId` is given when the scope stands for a span that already exists (an OpenTelemetry span's step). */
export function createScope(parent: Scope | undefined, options: ScopeOptions = {}, spanId = newSpanId()): Scope {
  return { parent, options, spanId, startTime: now() };
}

/** True when `inner` is `outer` or nested in it. */
export function isWithin(inner: Scope, outer: Scope): boolean {
  for (let scope: Scope | undefined = inner; scope; scope = scope.parent) if (scope === outer) return true;
  return false;
}

/** The nearest explicit value of `key` from `scope` outward. */
export function inherited(scope: Scope, key: "task_id" | "session_id"): string | undefined {
  for (let at: Scope | undefined = scope; at; at = at.parent) if (at.options[key]) return at.options[key];
  return undefined;
}

/** Metadata of every enclosing scope, merged outward-in so the innermost wins. */
export function inheritedMetadata(scope: Scope): Record<string, unknown> {
  const chain: Scope[] = [];
  for (let at: Scope | undefined = scope; at; at = at.parent) chain.unshift(at);
  return Object.assign({}, ...chain.map((at) => at.options.metadata));
}
