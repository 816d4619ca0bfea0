// The API users call on an invocation or inside a tracer() block: fetch, log, tracer, trace, step.
import { orphanCollector } from "../context/orphans.js";
import { runInContext } from "../context/storage.js";
import { propagating } from "../otel/propagate.js";
import { createTracedFetch } from "../providers/traced-fetch.js";
import type { Collector } from "./collector.js";
import type { LogEvent, LogIds } from "./log-record.js";
import type { Scope, ScopeOptions } from "./scope.js";
import { sanitize } from "./serialize.js";
import { guard, warnOnce } from "./warn.js";

/** Options of a custom step. */
export interface StepOptions {
  /** What the step worked on: a query, a tool's arguments… */
  input?: unknown;
  metadata?: Record<string, unknown>;
}

/** A function wrapper that is also a TS 5 method decorator. */
export type TraceWrapper = <F extends (...args: any[]) => any>(fn: F, context?: ClassMethodDecoratorContext) => F;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === "function";

/** Calls `after` when `result` settles, and hands back `result` itself so the caller's type and identity are kept. */
function whenSettled<R>(result: R, after: (value: unknown, failed: boolean) => void): R {
  if (isThenable(result)) result.then((value) => after(value, false), (error) => after(error, true));
  else after(result, false);
  return result;
}

/**
 * What you trace with: the invocation itself, or the handle a `tracer()` block passes to its callback.
 * Every method is safe to call at any time: the tracer never throws into your code.
 */
export class TraceHandle {
  /**
   * A fetch that records OpenAI and Mistral calls as steps of this invocation, in this handle's scope.
   * Pass it to the SDKs: `new OpenAI({ fetch: t.fetch })`. Other requests pass through untouched, except that
   * those to `propagateTo` hosts carry a `traceparent`.
   */
  readonly fetch: typeof fetch;
  /** @internal What this handle records into. */
  readonly collector: Collector;
  readonly #scope: Scope | undefined;

  /** @internal Use `withTracer`, `instrument` or `tracer.startInvocation()` to get one. */
  constructor(collector: Collector, scope?: Scope) {
    this.collector = collector;
    this.#scope = scope;
    const target = () => (collector.recordsCalls && !collector.sealed ? { collector, scope: this.#current() } : undefined);
    this.fetch = propagating(createTracedFetch(target), target);
  }

  /**
   * Records a log: the input your user gave and the output you answered. It claims the LLM calls made
   * before it in this scope. Returns its ids at once.
   *
   * @example t.log({ input: "Give me a color", output: answer, metadata: { plan: "pro" } })
   */
  log(event: LogEvent): LogIds {
    return guard("log", () => this.#logTarget().addLog(this.#current(), event ?? {}), {
      task_id: event?.task_id ?? "",
      session_id: event?.session_id ?? "",
    });
  }

  /**
   * Runs `fn` in a nested scope whose ids and metadata apply to every log inside it. `fn` gets a handle
   * bound to that scope; with AsyncLocalStorage, module-level `log()` inside it finds the scope too.
   *
   * @example await t.tracer({ session_id: "s1", metadata: { user_id: "bob" } }, async (s) => { ... s.log(...) })
   */
  tracer<R>(options: ScopeOptions, fn: (handle: TraceHandle) => R): R {
    const collector = this.collector;
    const scope = collector.enterScope(this.#current(), options ?? {});
    const handle = new TraceHandle(collector, scope);
    let result: R;
    try {
      result = runInContext({ collector, scope }, () => fn(handle));
    } catch (error) {
      collector.leaveScope(scope);
      throw error;
    }
    return whenSettled(result, () => collector.leaveScope(scope));
  }

  /**
   * Wraps a function so each call runs in its own `tracer()` scope. Also a TS 5 method decorator.
   *
   * @example const answer = t.trace({ session_id })(async (q: string) => { ... })
   */
  trace(options: ScopeOptions = {}): TraceWrapper {
    const handle = this;
    return (fn) =>
      function (this: unknown, ...args: unknown[]) {
        return handle.tracer(options, () => fn.apply(this, args));
      } as typeof fn;
  }

  /**
   * Records a custom step (retrieval, a tool, post-processing) around `fn`: its input, what `fn` returns
   * (or throws), and how long it took. Returns what `fn` returns.
   *
   * @example const docs = await t.step("retrieve", () => search(query), { input: query })
   */
  step<R>(name: string, fn: () => R, options: StepOptions = {}): R {
    const collector = this.collector;
    const hasWork = typeof fn === "function";
    if (!hasWork) {
      // Nothing to run: record what was given as a point-in-time step rather than throw into the caller.
      warnOnce("step-without-fn", `step("${String(name)}") got no function, so it was recorded with its input only. Pass the work to time: \`t.step(name, () => work(), { input })\`.`);
    }
    const step = guard("step", () => collector.startStep(this.#current(), "custom", String(name)), undefined);
    if (!step) return hasWork ? fn() : (undefined as R);
    step.input = sanitize(options?.input, "input").value;
    if (!hasWork) {
      collector.endStep(step, "ok");
      return undefined as R;
    }
    if (options.metadata) step.metadata = sanitize(options.metadata, "metadata").value as Record<string, unknown>;
    const finish = (value: unknown, failed: boolean) =>
      guard("step", () => {
        if (!failed) step.output = sanitize(value, "output").value;
        collector.endStep(step, failed ? "error" : "ok", failed ? value : undefined);
      }, undefined);
    try {
      return whenSettled(fn(), finish);
    } catch (error) {
      finish(error, true);
      throw error;
    }
  }

  /** After the flush took the batch, a log belongs to no batch of ours: keep it for the next flush, and say so. */
  #logTarget(): Collector {
    if (!this.collector.sealed) return this.collector;
    warnOnce("log-after-flush", "log() was called after its invocation was flushed; it is exported, unlinked, with the next flush. Log before the handler returns (or its returned stream ends).");
    return orphanCollector();
  }

  /** The scope this call belongs to: fixed for a tracer() handle, found at call time for the invocation. */
  #current(): Scope {
    return this.#scope ?? this.collector.currentScope();
  }
}
