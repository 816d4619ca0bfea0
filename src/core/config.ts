// The one place user options become resolved options: validated with zod/mini, defaults filled,
// and every mistake reported as a ConfigError naming the field and the fix.
import * as z from "zod/mini";
import { ConfigError } from "../errors/config-error.js";
import type { Exporter } from "../exporters/exporter.js";
import type { AsyncLocalStorageClass } from "../context/storage.js";

/** An OpenAI- or Mistral-compatible endpoint the traced fetch should record (a gateway, Groq, vLLM…). */
export interface ProviderEndpoint {
  /** Requests whose URL starts with this are parsed in `kind`'s dialect, e.g. `https://gateway.ai.cloudflare.com/v1/acct/gw/openai`. */
  baseUrl: string;
  kind: "openai" | "mistral";
}

/** What `createTracer`, `withTracer` and `instrument` accept. Every field is optional. */
export interface TracerConfig {
  /** phospho API key. With `projectId`, traces go to phospho; without both, to the console. */
  apiKey?: string;
  /** phospho project id. */
  projectId?: string;
  /** phospho API base URL. Default `https://api.phospho.ai`. */
  baseUrl?: string;
  /** Where traces go. Replaces the default (phospho with credentials, else console). */
  exporters?: Exporter[];
  /** An `AsyncLocalStorage` class (from `node:async_hooks` on Workers with `nodejs_als`, or Deno). Enables module-level `log()`. */
  asyncLocalStorage?: AsyncLocalStorageClass;
  /** Upper bound of a whole flush: waiting for streams, then exporting. Default 25 000 ms. */
  flushTimeoutMs?: number;
  /** The untraced fetch exporters use. Default: `globalThis.fetch`, looked up at call time. */
  fetch?: typeof fetch;
  /** Your app's version, sent as `version_id` on every log. */
  versionId?: string;
  /** Deployment environment, sent as `environment` on every log (phospho's default is "default environment"). */
  environment?: string;
  /** Extra OpenAI- or Mistral-compatible endpoints to trace. `api.openai.com`, Azure OpenAI and `api.mistral.ai` are built in. */
  providers?: ProviderEndpoint[];
  /** Longest text kept per recorded field, in UTF-8 bytes; longer text is cut and marked. Default 65 536. */
  maxFieldBytes?: number;
  /** Most steps recorded per invocation; more are counted, not kept. Default 1 000. */
  maxSteps?: number;
  /** Name of your service in exported traces. Default `edge-tracer-app`. */
  serviceName?: string;
  /** Adds `stream_options.include_usage` to streamed OpenAI chat requests so usage is recorded. Default false. */
  injectStreamUsage?: boolean;
  /** GenAI attribute names for OTLP exporters: `current`, `legacy` or `both`. Default `current` (phospho always gets `both`). */
  semconv?: "current" | "legacy" | "both";
  /** Hosts (or URL prefixes, or patterns) whose requests get a `traceparent` header. Never LLM providers unless listed. */
  propagateTo?: Array<string | RegExp>;
  /** Registers edge-tracer as the global OpenTelemetry tracer provider, so spans from `@opentelemetry/api` become steps. Default false. */
  registerGlobal?: boolean;
  /** Share of invocations traced, from 0 to 1, decided when one starts. Default 1. `keep` rescues the interesting ones. */
  sampleRate?: number;
  /** Invocations kept at flush even when head sampling dropped them. */
  keep?: KeepRules;
  /** Record prompts and outputs. With false, only metadata (models, tokens, timings, status). Default true. */
  recordContent?: boolean;
  /** Runs on each log and step before it is buffered: return it (changed or not), or null to drop it. */
  redact?: (item: RedactItem) => RedactItem | null;
  /** Called once per failed export with what was lost and why. */
  onExportError?: (error: { destination: string; reason: string; count: number }) => void;
}

/** Tail-sampling rules: an invocation matching any of them is exported whatever `sampleRate` decided. */
export interface KeepRules {
  /** Keep invocations with a failed step. */
  errors?: boolean;
  /** Keep invocations with an LLM call slower than this. */
  slowerThanMs?: number;
  /** Keep invocations that used more tokens than this. */
  moreTokensThan?: number;
  /** Keep invocations with an LLM call that finished for one of these reasons (`length`, `content_filter`…). */
  finishReasons?: string[];
}

/** What `redact` sees: a log or a step, as plain data. */
export type RedactItem =
  | { kind: "log"; input: unknown; output: unknown; metadata: Record<string, unknown> }
  | { kind: "step"; name: string; input: unknown; output: unknown; metadata?: Record<string, unknown> };

/** A config with every default filled in. */
export interface ResolvedConfig extends TracerConfig {
  baseUrl: string;
  flushTimeoutMs: number;
  providers: ProviderEndpoint[];
  maxFieldBytes: number;
  maxSteps: number;
  serviceName: string;
  injectStreamUsage: boolean;
  semconv: "current" | "legacy" | "both";
  propagateTo: Array<string | RegExp>;
  registerGlobal: boolean;
  sampleRate: number;
  keep: KeepRules;
  recordContent: boolean;
}

// Every field is a plain predicate under z.custom: zod/mini's objects give us unknown-key and nesting checks,
// while its string/number/url/union machinery would add kilobytes to every user's bundle. Messages are ours.
const is = <T>(predicate: (value: unknown) => boolean) => z.optional(z.custom<T>(predicate));
const isText = (value: unknown) => typeof value === "string" && value.length > 0;
const isFunction = (value: unknown) => typeof value === "function";
const isBoolean = (value: unknown) => typeof value === "boolean";
const isWhole = (min: number) => (value: unknown) => Number.isInteger(value) && (value as number) >= min;
const isBetween = (min: number, max: number) => (value: unknown) => typeof value === "number" && value >= min && value <= max;
const isHttpUrl = (value: unknown) => {
  if (typeof value !== "string" || !/^https?:\/\/[^\s/]+/.test(value)) return false;
  try {
    return Boolean(new URL(value));
  } catch {
    return false;
  }
};
const isOneOf = (...values: unknown[]) => (value: unknown) => values.includes(value);
const isListOf = (item: (value: unknown) => boolean) => (value: unknown) => Array.isArray(value) && value.every(item);
const isExporter = (value: unknown) => typeof (value as Exporter | null)?.export === "function";
const isPattern = (value: unknown) => isText(value) || value instanceof RegExp;

const schema = z.strictObject({
  apiKey: is<string>(isText),
  projectId: is<string>(isText),
  baseUrl: is<string>(isHttpUrl),
  exporters: z.optional(z.array(z.custom<Exporter>(isExporter))),
  asyncLocalStorage: is<AsyncLocalStorageClass>(isFunction),
  flushTimeoutMs: is<number>(isWhole(1)),
  fetch: is<typeof fetch>(isFunction),
  versionId: is<string>(isText),
  environment: is<string>(isText),
  providers: z.optional(z.array(z.strictObject({ baseUrl: z.custom<string>(isHttpUrl), kind: z.custom<ProviderEndpoint["kind"]>(isOneOf("openai", "mistral")) }))),
  maxFieldBytes: is<number>(isWhole(256)),
  maxSteps: is<number>(isWhole(1)),
  serviceName: is<string>(isText),
  injectStreamUsage: is<boolean>(isBoolean),
  semconv: is<ResolvedConfig["semconv"]>(isOneOf("current", "legacy", "both")),
  propagateTo: is<Array<string | RegExp>>(isListOf(isPattern)),
  registerGlobal: is<boolean>(isBoolean),
  sampleRate: is<number>(isBetween(0, 1)),
  keep: z.optional(
    z.strictObject({
      errors: is<boolean>(isBoolean),
      slowerThanMs: is<number>(isBetween(0, Infinity)),
      moreTokensThan: is<number>(isBetween(0, Infinity)),
      finishReasons: is<string[]>(isListOf((value) => typeof value === "string")),
    }),
  ),
  recordContent: is<boolean>(isBoolean),
  redact: is<NonNullable<TracerConfig["redact"]>>(isFunction),
  onExportError: is<NonNullable<TracerConfig["onExportError"]>>(isFunction),
});

/** How to fix each field, appended to the message of a ConfigError. */
const fixes: Record<string, string> = {
  apiKey: "pass your phospho API key as a non-empty string, e.g. `apiKey: env.PHOSPHO_API_KEY`",
  projectId: "pass your phospho project id as a non-empty string, e.g. `projectId: env.PHOSPHO_PROJECT_ID`",
  baseUrl: "pass an http(s) URL such as `https://api.phospho.ai`, or leave it out",
  exporters: "pass an array of exporters such as `[consoleExporter()]`; each needs an `export(batch, options)` method",
  asyncLocalStorage: 'pass the class itself: `import { AsyncLocalStorage } from "node:async_hooks"` (Workers need the `nodejs_als` flag)',
  flushTimeoutMs: "pass a positive whole number of milliseconds, e.g. `25000`",
  fetch: "pass a fetch function, or leave it out to use the global fetch",
  versionId: "pass a non-empty string, or leave it out",
  environment: "pass a non-empty string such as `production`, or leave it out",
  providers: 'pass an array like `[{ baseUrl: "https://my-gateway.example/v1", kind: "openai" }]` (kind is "openai" or "mistral")',
  maxFieldBytes: "pass a whole number of bytes of at least 256, e.g. `65536`",
  maxSteps: "pass a positive whole number, e.g. `1000`",
  serviceName: "pass a non-empty string, or leave it out",
  injectStreamUsage: "pass true or false",
  semconv: 'pass "current", "legacy" or "both"',
  propagateTo: 'pass an array of hosts, URL prefixes or RegExps, e.g. `["api.internal.example", /\\.my-company\\.com$/]`',
  registerGlobal: "pass true or false",
  sampleRate: "pass a number from 0 to 1, e.g. `0.1` to trace one invocation in ten",
  keep: "pass an object like `{ errors: true, slowerThanMs: 5000, moreTokensThan: 4000, finishReasons: [\"length\"] }`",
  recordContent: "pass true or false",
  redact: "pass a function `(item) => item | null`",
  onExportError: "pass a function `({ destination, reason, count }) => void`",
};

/** Validates `config` and fills the defaults. Throws a {@link ConfigError} naming the first bad field. */
export function resolveConfig(config: TracerConfig): ResolvedConfig {
  if (config === null || typeof config !== "object") {
    const got = config === null ? "null" : typeof config;
    throw new ConfigError("config", `edge-tracer: \`config\` must be an object, got ${got}. Fix: pass an object such as \`{ apiKey, projectId }\`, or \`{}\` for the defaults.`);
  }
  const result = z.safeParse(schema, config);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const isUnknownKey = issue.code === "unrecognized_keys";
    const path = isUnknownKey ? issue.keys.join(", ") : issue.path.join(".") || "config";
    const root = String(issue.path[0] ?? "");
    const fix = isUnknownKey
      ? `remove it or check its spelling; known fields are ${Object.keys(fixes).map((key) => `\`${key}\``).join(", ")}`
      : (fixes[root] ?? "check its type");
    const problem = isUnknownKey ? "is not a config field" : `is invalid (got ${describeValue(valueAt(config, issue.path))})`;
    throw new ConfigError(path, `edge-tracer: \`${path}\` ${problem}. Fix: ${fix}.`, { cause: result.error });
  }
  const valid = result.data;
  if (Boolean(valid.apiKey) !== Boolean(valid.projectId)) {
    const missing = valid.apiKey ? "projectId" : "apiKey";
    throw new ConfigError(missing, `edge-tracer: \`${missing}\` is missing: phospho needs both \`apiKey\` and \`projectId\`. Fix: ${fixes[missing]}, or drop the other one to print traces to the console.`);
  }
  return {
    ...valid,
    baseUrl: (valid.baseUrl ?? "https://api.phospho.ai").replace(/\/+$/, ""),
    flushTimeoutMs: valid.flushTimeoutMs ?? 25_000,
    providers: valid.providers ?? [],
    maxFieldBytes: valid.maxFieldBytes ?? 65_536,
    maxSteps: valid.maxSteps ?? 1_000,
    injectStreamUsage: valid.injectStreamUsage ?? false,
    semconv: valid.semconv ?? "current",
    propagateTo: valid.propagateTo ?? [],
    registerGlobal: valid.registerGlobal ?? false,
    sampleRate: valid.sampleRate ?? 1,
    keep: valid.keep ?? {},
    recordContent: valid.recordContent ?? true,
    serviceName: valid.serviceName ?? "edge-tracer-app",
  };
}

/** What was given, for the message: the fix text says what is expected. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value ? JSON.stringify(value) : "an empty string";
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  return String(value);
}

function valueAt(config: unknown, path: PropertyKey[]): unknown {
  let at: unknown = config;
  for (const key of path) at = (at as Record<PropertyKey, unknown> | undefined)?.[key];
  return at;
}
