// Everything one invocation records: its scopes, steps and logs, and what is still open.
// One per request; nothing here is shared between requests.
import type { RemoteParent } from "../util/traceparent.js";
import { now } from "../util/clock.js";
import type { ResolvedConfig } from "../model/config.js";
import { newSessionId, newSpanId, newTaskId, newTraceId } from "../util/ids.js";
import { claim, claimEarlierSteps } from "./linking.js";
import type { LogEvent, LogIds, LogRecord } from "../model/records.js";
import { sanitize } from "../util/serialize.js";
import { createScope, inherited, inheritedMetadata, type Scope, type ScopeOptions } from "../model/scope.js";
import type { Step, StepKind, StepStatus } from "../model/records.js";
import { describeError, warnOnce } from "../util/warn.js";

/** Where a record goes: which invocation's collector, and which `tracer()` scope inside it. */
export interface Recording {
  collector: Collector;
  scope: Scope;
}

/** What one invocation records. Made by {@link createCollector}; the tracer's internals read and extend it. */
export interface Collector {
  readonly config: ResolvedConfig;
  /** False for the orphan collector: a call with no request to belong to is passed through, not recorded. */
  readonly recordsCalls: boolean;
  /** The span this invocation continues (incoming `traceparent`, or another SDK's active span). */
  readonly parent: RemoteParent | undefined;
  readonly traceId: string;
  /** The invocation's root span: the handler. Its scope has no parent. */
  readonly root: Scope;
  /** Every scope entered, root first: exported as spans. */
  readonly scopes: Scope[];
  readonly steps: Step[];
  readonly logs: LogRecord[];
  /** Steps refused because `maxSteps` was reached; reported on the log. */
  droppedSteps: number;
  /** Once true, the batch has been taken for export: later records belong to no batch of ours. */
  sealed: boolean;
  /** The head sampling decision; an unsampled invocation is still recorded, for the `keep` rules. */
  readonly sampled: boolean;
  /** Open steps and pending log outputs: what a flush waits for. */
  readonly pending: Set<Promise<unknown>>;
  /**
   * The innermost `tracer()` block still open, or the root: where a root-handle call belongs without
   * AsyncLocalStorage. Right for sequential code, the documented limit for concurrent blocks (whose own handles
   * are always exact).
   */
  innermostScope(): Scope;
  enterScope(parent: Scope, options: ScopeOptions): Scope;
  leaveScope(scope: Scope): void;
  /** Records a log and links the earlier steps of its scope to it. Values are snapshotted now: later mutation does not leak in. */
  addLog(scope: Scope, given: LogEvent): LogIds;
  /** Opens a step, or returns undefined once `maxSteps` is reached (counted, and said on the log). */
  startStep(scope: Scope, kind: StepKind, name: string): Step | undefined;
  /** Closes a step once; later calls are ignored (a stream can end and be cancelled in one tick). */
  endStep(step: Step, status: Exclude<StepStatus, "open">, error?: unknown): void;
  /** Marks every step still open as unfinished: the flush deadline came first. */
  closeUnfinished(): void;
  /** Keeps the invocation open (the flush waits) until `promise` settles: the response body still being read. */
  keepOpenUntil(promise: Promise<unknown>): void;
}

// A closure rather than a class: its private state is plain variables, which minify, where `this.field` does not.
export function createCollector(
  config: ResolvedConfig,
  rootOptions: ScopeOptions = {},
  recordsCalls = true,
  parent?: RemoteParent,
): Collector {
  const sessionId = newSessionId();
  /** `tracer()` blocks entered and not yet left, oldest first: where sequential root-handle calls belong. */
  const openScopes: Scope[] = [];
  const pending = new Set<Promise<unknown>>();
  const stepEnds = new Map<Step, () => void>();
  const steps: Step[] = [];
  const traceId = parent?.traceId ?? newTraceId();
  // The head sampling decision: true for the share `sampleRate` of invocations.
  const sampled = config.sampleRate >= 1 || Math.random() < config.sampleRate;
  const root = createScope(undefined, rootOptions);

  const track = (promise: Promise<unknown>): void => {
    const settled: Promise<unknown> = promise.then(
      (): unknown => pending.delete(settled),
      (): unknown => pending.delete(settled),
    );
    pending.add(settled);
  };

  const collector: Collector = {
    config,
    recordsCalls,
    parent,
    traceId,
    sampled,
    root,
    scopes: [root],
    steps,
    logs: [],
    droppedSteps: 0,
    sealed: false,
    pending,

    innermostScope: () => openScopes.at(-1) ?? root,

    enterScope(parent, options) {
      const scope = createScope(parent, options);
      openScopes.push(scope);
      collector.scopes.push(scope);
      return scope;
    },

    leaveScope(scope) {
      scope.endTime = now();
      const index = openScopes.lastIndexOf(scope);
      if (index >= 0) openScopes.splice(index, 1);
    },

    addLog(scope, given) {
      const problems: string[] = [];
      // log("text") or log(42): keep the value as the input rather than lose it.
      const isObject = typeof given === "object" && given !== null;
      const event: LogEvent = isObject ? given : given === undefined || given === null ? {} : { input: given };
      if (!isObject && given !== undefined && given !== null) problems.push(`log() takes an object such as { input, output }; the ${typeof given} given was used as the input`);
      // phospho refuses an id that is not a string: a number (or a BigInt, a boolean) becomes its text.
      const id = (key: "task_id" | "session_id" | "user_id" | "version_id", value: unknown): string | undefined => {
        if (value === undefined || value === null || value === "") return undefined;
        if (typeof value === "string") return value;
        if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
        problems.push(`${key}: not a string or a number (${typeof value}), left out`);
        return undefined;
      };
      const taskId = id("task_id", event.task_id) ?? id("task_id", inherited(scope, "task_id")) ?? newTaskId();
      const logSessionId = id("session_id", event.session_id) ?? id("session_id", inherited(scope, "session_id")) ?? sessionId;
      const flag = event.flag;
      if (flag !== undefined && flag !== null && flag !== "success" && flag !== "failure") problems.push(`flag: ${typeof flag === "string" ? `"${flag}"` : `a ${typeof flag}`} is not "success" or "failure", left out`);
      let metadata = event.metadata;
      if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Array.isArray(metadata))) {
        problems.push("metadata: not an object, kept under metadata.value");
        metadata = { value: metadata };
      }
      const keep = (value: unknown, where: string) => {
        const result = sanitize(value, where);
        problems.push(...result.problems);
        return result.value;
      };
      if (event.input === undefined) problems.push("input: missing, exported as an empty string");
      const output = event.output as { then?: unknown } | undefined;
      const isPromise = typeof output?.then === "function";
      const record: LogRecord = {
        spanId: newSpanId(),
        taskId,
        sessionId: logSessionId,
        scope,
        traceId,
        createdAt: now(),
        input: keep(event.input, "input"),
        output: isPromise ? Promise.resolve(output) : keep(event.output, "output"),
        outputGiven: event.output !== undefined,
        metadata: keep({ ...inheritedMetadata(scope), ...metadata }, "metadata") as Record<string, unknown>,
        userId: id("user_id", event.user_id),
        versionId: id("version_id", event.version_id),
        flag: flag === "success" || flag === "failure" ? flag : undefined,
        problems,
        steps: [],
        waitsForLaterSteps: false,
      };
      claimEarlierSteps(steps, record);
      // A log written before its LLM call (a lazy stream that calls when its body is read) takes the calls after it.
      record.waitsForLaterSteps = !record.outputGiven && !record.steps.some((step) => step.kind === "llm");
      (Array.isArray(event.steps) ? event.steps : []).forEach((manual, index) => {
        const step = collector.startStep(scope, "manual", String(manual?.name ?? `step ${index + 1}`));
        if (!step) return;
        const { name: _name, input, output: stepOutput, ...rest } = (keep(manual, `steps[${index}]`) ?? {}) as Record<string, unknown>;
        Object.assign(step, { input, output: stepOutput, metadata: rest });
        claim(step, record);
        collector.endStep(step, "ok");
      });
      if (isPromise) {
        track(
          (record.output as Promise<unknown>).then(
            (value) => (record.output = keep(value, "output")),
            (error) => {
              record.output = null;
              problems.push(`output: the promise rejected (${describeError(error)}), exported as null`);
            },
          ),
        );
      }
      if (problems.length) {
        warnOnce("log-values", `log() got values it could not keep as given; the log is exported with them listed under \`edge_tracer.warnings\` in its metadata. First: ${problems[0]}`);
      }
      collector.logs.push(record);
      return { task_id: taskId, session_id: logSessionId };
    },

    startStep(scope, kind, name) {
      if (steps.length >= config.maxSteps) {
        collector.droppedSteps++;
        warnOnce("max-steps", `an invocation reached \`maxSteps\` (${config.maxSteps}); further steps are only counted, as \`edge_tracer.dropped_steps\` in the log's metadata. Raise \`maxSteps\` to keep them.`);
        return undefined;
      }
      const step: Step = { spanId: newSpanId(), kind, scope, name, startTime: now(), status: "open" };
      steps.push(step);
      track(new Promise<void>((resolve) => stepEnds.set(step, resolve)));
      return step;
    },

    endStep(step, status, error) {
      if (step.status !== "open") return;
      step.status = status;
      step.endTime = now();
      if (error !== undefined && !step.error) {
        step.error = error instanceof Error ? { type: error.name, message: error.message } : { type: "Error", message: String(error) };
      }
      stepEnds.get(step)?.();
      stepEnds.delete(step);
    },

    closeUnfinished() {
      for (const step of stepEnds.keys()) collector.endStep(step, "unfinished");
    },

    keepOpenUntil: track,
  };
  return collector;
}
