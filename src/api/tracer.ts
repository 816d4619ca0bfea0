// createTracer: validated config and exporters, made once and shared by every invocation.
import { enableStorage } from "../context/storage.js";
import type { AsyncLocalStorageClass } from "../model/config.js";
import { registerGlobal } from "../otel/register.js";
import { consoleExporter } from "../exporters/console.js";
import type { Exporter } from "../model/exporter.js";
import { phosphoExporter } from "../exporters/phospho.js";
import { createCollector } from "../record/collector.js";
import { resolveConfig, type ResolvedConfig, type TracerConfig } from "../model/config.js";
import { Invocation } from "./invocation.js";
import type { ScopeOptions } from "../model/scope.js";
import { parseTraceparent } from "../util/traceparent.js";
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
      return new Invocation(createCollector(resolved, options, true, parent), exporters);
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
/**
 * The last few configs seen, by content: `withTracer(ctx, fn, { apiKey: env.KEY, providers: [...] })` builds a new
 * literal (arrays included) per request, and must not cost a validation and a new tracer each time.
 */
const recent: Array<{ config: TracerConfig; tracer: Tracer }> = [];
const RECENT = 8;

/**
 * The tracer for a tracer or config object. A config is validated once: reused by identity, or when it holds
 * the same content as one of the last few seen. Throws a `ConfigError` for a bad config.
 */
export function tracerFrom(tracerOrConfig: Tracer | TracerConfig | undefined): Tracer {
  if (isTracer(tracerOrConfig)) return tracerOrConfig;
  const config = tracerOrConfig ?? {};
  if (typeof config !== "object" || config === null) return createTracer(config);
  let tracer = tracersByConfig.get(config);
  if (!tracer) {
    tracer = recent.find((seen) => sameContent(seen.config, config))?.tracer;
    if (!tracer) {
      tracer = createTracer(config);
      recent.unshift({ config, tracer });
      recent.length = Math.min(recent.length, RECENT);
    }
    tracersByConfig.set(config, tracer);
  }
  return tracer;
}

/**
 * The tracer `source` gives, for the wrappers that run the user's handler: a config mistake (or a config function
 * that throws) is reported once per isolate, on the console, and the handler runs untraced, as it would without us.
 */
export function tracerOrOff(source: () => Tracer | TracerConfig | undefined): Tracer {
  let given: Tracer | TracerConfig | undefined;
  try {
    given = source();
    return tracerFrom(given);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!reported.has(message)) {
      reported.add(message);
      console.error(`[edge-tracer] tracing is off for this config; requests run untraced. ${message}`);
    }
    const als = (given as TracerConfig | undefined)?.asyncLocalStorage;
    return (off ??= createTracer({ exporters: [], asyncLocalStorage: typeof als === "function" ? als : undefined }));
  }
}
const reported = new Set<string>();
let off: Tracer | undefined;

/** Same plain data: arrays and plain objects compared by content; functions, classes and RegExps by identity. */
function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameContent(item, b[i]));
  if (Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => sameContent((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
