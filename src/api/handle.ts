// The API users call on an invocation or inside a tracer() block: fetch, log, tracer, trace, step.
import { orphanCollector } from "../record/orphans.js";
import { activeContext, hasStorage, runInContext } from "../context/storage.js";
import { createTracedFetch } from "../providers/traced-fetch.js";
import type { Collector } from "../record/collector.js";
import type { LogEvent, LogIds } from "../model/records.js";
import type { Scope, ScopeOptions } from "../model/scope.js";
import { sanitize } from "../util/serialize.js";
import { guard, warnOnce } from "../util/warn.js";

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
 * Where a call of `collector` records: the collector itself while it is open; after its flush began, the orphans
 * (exported with the next flush), said once. Undefined for a collector that records no calls (the orphans' own).
 */
export function callTarget(collector: Collector, scope: Scope): { collector: Collector; scope: Scope } | undefined {
  if (!collector.recordsCalls) return undefined;
  if (!collector.sealed) return { collector, scope };
  const late = lateCollector(collector, "an LLM call");
  return { collector: late, scope: late.root };
}

/** The orphans, for a record that came after `collector`'s flush began; the console says so once. */
function lateCollector(collector: Collector, what: string): Collector {
  warnOnce(
    "after-flush",
    `${what} came after its invocation's flush began, so it is exported, unlinked, with the next flush. ` +
      "Fix: make it before the handler returns, or inside the body of the Response the handler returns " +
      "(the invocation stays open until that body is read to its end or cancelled).",
  );
  return orphanCollector(collector.config);
}

/**
 * What you trace with: the invocation itself, or the handle a `tracer()` block passes to its callback.
 * Every member is safe to call at any time (the tracer never throws into your code) and works detached:
 * `const { fetch, log, step } = t`.
 */
export class TraceHandle {
  /** @internal What this handle records into. */
  readonly collector: Collector;
  readonly #scope: Scope | undefined;
  #fetch: typeof fetch | undefined;

  /** @internal Use `withTracer`, `instrument` or `tracer.startInvocation()` to get one. */
  constructor(collector: Collector, scope?: Scope) {
    this.collector = collector;
    this.#scope = scope;
  }

  /**
   * A fetch that records OpenAI and Mistral calls as steps of this invocation, in this handle's scope.
   * Pass it to the SDKs: `new OpenAI({ fetch: t.fetch })`. Other requests pass through untouched, except that
   * those to `propagateTo` hosts carry a `traceparent`. Made on first use.
   */
  get fetch(): typeof fetch {
    if (!this.#fetch) {
      const target = () => callTarget(this.collector, this.#current());
      this.#fetch = createTracedFetch(target);
    }
    return this.#fetch;
  }

  /**
   * Records a log: the input your user gave and the output you answered. It claims the LLM calls made
   * before it in this scope. Returns its ids at once.
   *
   * @example t.log({ input: "Give me a color", output: answer, metadata: { plan: "pro" } })
   */
  readonly log = (event: LogEvent): LogIds =>
    guard("log", () => this.#open("log()").addLog(this.#current(), event ?? {}), {
      task_id: event?.task_id ?? "",
      session_id: event?.session_id ?? "",
    });

  /**
   * Runs `fn` in a nested scope whose ids and metadata apply to every log inside it. `fn` gets a handle
   * bound to that scope; with AsyncLocalStorage, module-level `log()` inside it finds the scope too.
   *
   * @example await t.tracer({ session_id: "s1", metadata: { user_id: "bob" } }, async (s) => { ... s.log(...) })
   */
  readonly tracer = <R>(options: ScopeOptions, fn: (handle: TraceHandle) => R): R => {
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
  };

  /**
   * Wraps a function so each call runs in its own `tracer()` scope. Also a TS 5 method decorator.
   *
   * @example const answer = t.trace({ session_id })(async (q: string) => { ... })
   */
  readonly trace = (options: ScopeOptions = {}): TraceWrapper => {
    const scoped = this.tracer;
    return (fn) =>
      function (this: unknown, ...args: unknown[]) {
        return scoped(options, () => fn.apply(this, args));
      } as typeof fn;
  };

  /**
   * Records a custom step (retrieval, a tool, post-processing) around `fn`: its input, what `fn` returns
   * (or throws), and how long it took. Returns what `fn` returns.
   *
   * @example const docs = await t.step("retrieve", () => search(query), { input: query })
   */
  readonly step = <R>(name: string, fn: () => R, options: StepOptions = {}): R => {
    const collector = this.#open("step()");
    const hasWork = typeof fn === "function";
    if (!hasWork) {
      // Nothing to run: record what was given as a point-in-time step rather than throw into the caller.
      warnOnce("step-without-fn", `step("${String(name)}") got no function, so it was recorded with its input only. Pass the work to time: \`t.step(name, () => work(), { input })\`.`);
    }
    const scope = collector === this.collector ? this.#current() : collector.root;
    const step = guard("step", () => collector.startStep(scope, "custom", String(name)), undefined);
    if (!step) return hasWork ? fn() : (undefined as R);
    step.input = sanitize(options?.input, "input").value;
    if (!hasWork) {
      collector.endStep(step, "ok");
      return undefined as R;
    }
    if (options?.metadata) step.metadata = sanitize(options.metadata, "metadata").value as Record<string, unknown>;
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
  };

  /** This handle's collector while it is open; after its flush began, the orphans (said once). */
  #open(what: string): Collector {
    return this.collector.sealed ? lateCollector(this.collector, what) : this.collector;
  }

  /**
   * The scope this call belongs to: fixed for a tracer() handle; for the invocation, found at call time: exactly
   * through AsyncLocalStorage, else the innermost open `tracer()` block.
   */
  #current(): Scope {
    if (this.#scope) return this.#scope;
    if (!hasStorage()) return this.collector.innermostScope();
    const active = activeContext();
    return active?.collector === this.collector ? active.scope : this.collector.root;
  }
}
