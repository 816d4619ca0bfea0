// Everything one invocation records: its scopes, steps and logs, and what is still open.
// One per request; nothing here is shared between requests.
import { activeContext, hasStorage } from "../context/storage.js";
import type { Invocation } from "./invocation.js";
import type { RemoteParent } from "../otel/traceparent.js";
import { now } from "./clock.js";
import type { ResolvedConfig } from "./config.js";
import { newSessionId, newSpanId, newTaskId, newTraceId } from "./ids.js";
import { claim, claimEarlierSteps } from "./linking.js";
import type { LogEvent, LogIds, LogRecord } from "./log-record.js";
import { sanitize } from "./serialize.js";
import { headSampled } from "./sampling.js";
import { createScope, inherited, inheritedMetadata, type Scope, type ScopeOptions } from "./scope.js";
import type { Step, StepKind, StepStatus } from "./step.js";
import { describeError, warnOnce } from "./warn.js";

export class Collector {
  /** The public handle of this collector, once an Invocation wraps it. */
  invocation?: Invocation;
  readonly traceId: string;
  /** The invocation's root span: the handler. Its scope has no parent. */
  readonly root: Scope;
  /** Every scope entered, root first: exported as spans. */
  readonly scopes: Scope[];
  readonly steps: Step[] = [];
  readonly logs: LogRecord[] = [];
  /** Steps refused because `maxSteps` was reached; reported on the log. */
  droppedSteps = 0;
  /** Once true, the batch has been taken for export: later records belong to no batch of ours. */
  sealed = false;
  /** The head sampling decision; an unsampled invocation is still recorded, for the `keep` rules. */
  readonly sampled: boolean;
  private readonly sessionId = newSessionId();
  /** `tracer()` blocks entered and not yet left, oldest first: where sequential root-handle calls belong. */
  private readonly openScopes: Scope[] = [];
  /** Open steps and pending log outputs: what a flush waits for. */
  readonly pending = new Set<Promise<unknown>>();
  private readonly stepEnds = new Map<Step, () => void>();

  constructor(
    readonly config: ResolvedConfig,
    rootOptions: ScopeOptions = {},
    /** False for the orphan collector: a call with no request to belong to is passed through, not recorded. */
    readonly recordsCalls = true,
    /** The span this invocation continues (incoming `traceparent`, or another SDK's active span). */
    readonly parent?: RemoteParent,
  ) {
    this.traceId = parent?.traceId ?? newTraceId();
    this.sampled = headSampled(config.sampleRate);
    this.root = createScope(undefined, rootOptions);
    this.scopes = [this.root];
  }

  /**
   * The scope a call through the root handle belongs to. With AsyncLocalStorage, the context says it exactly.
   * Without, the innermost `tracer()` block still open: right for sequential code, the documented limit for
   * concurrent blocks (whose own handles are always exact).
   */
  currentScope(): Scope {
    if (hasStorage()) {
      const active = activeContext();
      return active?.collector === this ? active.scope : this.root;
    }
    return this.openScopes.at(-1) ?? this.root;
  }

  enterScope(parent: Scope, options: ScopeOptions): Scope {
    const scope = createScope(parent, options);
    this.openScopes.push(scope);
    this.scopes.push(scope);
    return scope;
  }

  leaveScope(scope: Scope): void {
    scope.endTime = now();
    const index = this.openScopes.lastIndexOf(scope);
    if (index >= 0) this.openScopes.splice(index, 1);
  }

  /** Records a log and links the earlier steps of its scope to it. Values are snapshotted now: later mutation does not leak in. */
  addLog(scope: Scope, given: LogEvent): LogIds {
    const problems: string[] = [];
    // log("text") or log(42): keep the value as the input rather than lose it.
    const isObject = typeof given === "object" && given !== null;
    const event: LogEvent = isObject ? given : given === undefined || given === null ? {} : { input: given };
    if (!isObject && given !== undefined && given !== null) problems.push(`log() takes an object such as { input, output }; the ${typeof given} given was used as the input`);
    const taskId = ids(event.task_id) ?? inherited(scope, "task_id") ?? newTaskId();
    const sessionId = ids(event.session_id) ?? inherited(scope, "session_id") ?? this.sessionId;
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
      sessionId,
      scope,
      traceId: this.traceId,
      createdAt: now(),
      input: keep(event.input, "input"),
      output: isPromise ? Promise.resolve(output) : keep(event.output, "output"),
      outputGiven: event.output !== undefined,
      metadata: keep({ ...inheritedMetadata(scope), ...metadata }, "metadata") as Record<string, unknown>,
      userId: event.user_id,
      versionId: event.version_id,
      flag: event.flag,
      problems,
      steps: [],
    };
    claimEarlierSteps(this.steps, record);
    (Array.isArray(event.steps) ? event.steps : []).forEach((manual, index) => {
      const step = this.startStep(scope, "manual", String(manual?.name ?? `step ${index + 1}`));
      if (!step) return;
      const { name: _name, input, output: stepOutput, ...rest } = (keep(manual, `steps[${index}]`) ?? {}) as Record<string, unknown>;
      Object.assign(step, { input, output: stepOutput, metadata: rest });
      claim(step, record);
      this.endStep(step, "ok");
    });
    if (isPromise) {
      this.track(
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
    this.logs.push(record);
    return { task_id: taskId, session_id: sessionId };
  }

  /** Opens a step, or returns undefined once `maxSteps` is reached (counted, and said on the log). */
  startStep(scope: Scope, kind: StepKind, name: string): Step | undefined {
    if (this.steps.length >= this.config.maxSteps) {
      this.droppedSteps++;
      warnOnce("max-steps", `an invocation reached \`maxSteps\` (${this.config.maxSteps}); further steps are only counted, as \`edge_tracer.dropped_steps\` in the log's metadata. Raise \`maxSteps\` to keep them.`);
      return undefined;
    }
    const step: Step = { spanId: newSpanId(), kind, scope, name, startTime: now(), status: "open" };
    this.steps.push(step);
    this.track(new Promise<void>((resolve) => this.stepEnds.set(step, resolve)));
    return step;
  }

  /** Closes a step once; later calls are ignored (a stream can end and be cancelled in one tick). */
  endStep(step: Step, status: Exclude<StepStatus, "open">, error?: unknown): void {
    if (step.status !== "open") return;
    step.status = status;
    step.endTime = now();
    if (error !== undefined && !step.error) {
      step.error = error instanceof Error ? { type: error.name, message: error.message } : { type: "Error", message: String(error) };
    }
    this.stepEnds.get(step)?.();
    this.stepEnds.delete(step);
  }

  /** Marks every step still open as unfinished: the flush deadline came first. */
  closeUnfinished(): void {
    for (const step of this.stepEnds.keys()) this.endStep(step, "unfinished");
  }

  private track(promise: Promise<unknown>): void {
    const settled: Promise<unknown> = promise.then(
      (): unknown => this.pending.delete(settled),
      (): unknown => this.pending.delete(settled),
    );
    this.pending.add(settled);
  }
}

/** An id must be a non-empty string; anything else is replaced (phospho rejects other types). */
const ids = (value: unknown): string | undefined => (typeof value === "string" && value ? value : typeof value === "number" ? String(value) : undefined);
