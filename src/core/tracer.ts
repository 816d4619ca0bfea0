// createTracer: validated config and exporters, made once and shared by every invocation.
import { enableStorage, type AsyncLocalStorageClass } from "../context/storage.js";
import { registerGlobal } from "../otel/register.js";
import { consoleExporter } from "../exporters/console.js";
import type { Exporter } from "../exporters/exporter.js";
import { phosphoExporter } from "../exporters/phospho.js";
import { createCollector } from "./collector.js";
import { resolveConfig, type ResolvedConfig, type TracerConfig } from "./config.js";
import { Invocation } from "./invocation.js";
import type { ScopeOptions } from "./scope.js";
import { parseTraceparent } from "../otel/traceparent.js";
import { foreignActiveSpan } from "../otel/global-api.js";

const brand = Symbol.for("edge-tracer.tracer");

/** Immutable: a validated config and its exporters. Safe to keep in module scope and share between requests. */
export interface Tracer {
  readonly [brand]: true;
  readonly config: ResolvedConfig;
  readonly exporters: readonly Exporter[];
  /** Whether module-level `log()`, `tracer()` and `tracedFetch` can find the current invocation. */
  readonly hasAsyncLocalStorage: boolean;
  /** Starts recording one request. Prefer `withTracer` or `instrument`, which also flush it. */
  startInvocation(options?: InvocationOptions): Invocation;
}

/** How an invocation starts: its root scope, and the trace it continues. */
export interface InvocationOptions extends ScopeOptions {
  /** An incoming W3C `traceparent` header: the invocation continues that trace. */
  traceparent?: string | null;
  /** The matching `tracestate` header, passed on unchanged. */
  tracestate?: string | null;
}

/**
 * Validates `config` and returns a tracer. Throws a `ConfigError` naming the field when the config is wrong.
 * With `apiKey` and `projectId`, traces go to phospho; without them, to the console.
 *
 * @example
 * const tracer = createTracer({ apiKey: env.PHOSPHO_API_KEY, projectId: env.PHOSPHO_PROJECT_ID });
 */
export function createTracer(config: TracerConfig = {}): Tracer {
  const resolved = resolveConfig(config);
  const exporters = resolved.exporters ?? [
    resolved.apiKey && resolved.projectId
      ? phosphoExporter({ apiKey: resolved.apiKey, projectId: resolved.projectId, baseUrl: resolved.baseUrl })
      : consoleExporter(),
  ];
  if (resolved.registerGlobal) registerGlobal(resolved.asyncLocalStorage ?? (globalThis as { AsyncLocalStorage?: AsyncLocalStorageClass }).AsyncLocalStorage);
  const tracer: Tracer = {
    [brand]: true,
    config: resolved,
    exporters,
    hasAsyncLocalStorage: enableStorage(resolved.asyncLocalStorage),
    startInvocation: (options = {}) => {
      // An explicit traceparent wins; else another OpenTelemetry SDK's active span, if any.
      const parent = parseTraceparent(options.traceparent, options.tracestate) ?? foreignActiveSpan();
      return new Invocation(tracer, createCollector(resolved, options, true, parent));
    },
  };
  return Object.freeze(tracer);
}

/**
 * True for a value made by {@link createTracer}.
 *
 * @example const tracer = isTracer(value) ? value : createTracer(value);
 */
export function isTracer(value: unknown): value is Tracer {
  return (value as Tracer | null)?.[brand] === true;
}

const tracersByConfig = new WeakMap<object, Tracer>();
/** The last config seen by value: `withTracer(ctx, fn, { apiKey: env.KEY, … })` builds a new literal per request. */
let last: { config: TracerConfig; tracer: Tracer } | undefined;

/**
 * The tracer for a tracer or config object. A config is validated once: reused by identity, or when its fields
 * are the same values as the last one's (so a literal written in the handler does not cost a validation per request).
 */
export function tracerFrom(tracerOrConfig: Tracer | TracerConfig | undefined): Tracer {
  if (isTracer(tracerOrConfig)) return tracerOrConfig;
  const config = tracerOrConfig ?? {};
  if (typeof config !== "object") return createTracer(config);
  let tracer = tracersByConfig.get(config);
  if (!tracer) {
    tracer = last && sameFields(last.config, config) ? last.tracer : createTracer(config);
    tracersByConfig.set(config, tracer);
    last = { config, tracer };
  }
  return tracer;
}

function sameFields(a: object, b: object): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => (a as Record<string, unknown>)[key] === (b as Record<string, unknown>)[key]);
}
