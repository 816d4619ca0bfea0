// The one place user options become resolved options: validated, defaults filled,
// and every mistake reported as a ConfigError naming the field and the fix.
import { ConfigError } from "../errors/config-error.js";
import type { Exporter } from "./exporter.js";
import { warnOnce } from "../util/warn.js";

/** The part of `AsyncLocalStorage` we use, so any runtime's implementation fits. */
export interface AsyncLocalStorageLike<T> {
  getStore(): T | undefined;
  run<R>(store: T, callback: () => R): R;
}

/**
 * An `AsyncLocalStorage` class, such as the one `node:async_hooks` exports, imported in your code.
 */
export type AsyncLocalStorageClass = new () => AsyncLocalStorageLike<any>;

/** An OpenAI- or Mistral-compatible endpoint the traced fetch should record (a gateway, Groq, vLLM…). */
export interface ProviderEndpoint {
  /** Requests whose URL starts with this are parsed in `kind`'s dialect, e.g. `https://gateway.ai.cloudflare.com/v1/acct/gw/openai`. */
  baseUrl: string;
  /** `"openai"` or `"mistral"`. Typed wider so a config built in a helper (where TypeScript widens it to `string`) still fits; checked at startup. */
  kind: "openai" | "mistral" | (string & {});
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
  /**
   * An invocation that called an LLM and logged nothing exports one log of its own (the first call's last user message
   * as input, the last answer as output, metadata `edge_tracer.auto_log: true`), so it shows as a task. Default true.
   */
  autoLog?: boolean;
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
  | {
      kind: "step";
      name: string;
      input: unknown;
      output: unknown;
      metadata?: Record<string, unknown>;
      /** For LLM calls: who was called (`openai`, `mistral`), the model, and the operation (`chat`, `embeddings`…). */
      provider?: string;
      model?: string;
      operation?: string;
    };

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
  autoLog: boolean;
}

// Each field is checked by a plain predicate, and every message is ours. zod/mini did this job before, but its
// object machinery alone weighed 5 KB gzip in every user's bundle (40% of our whole size budget) for checks
// that are one line each here. A check returns true, false, or the path of the nested value at fault.
type Check = (value: unknown) => boolean | string;
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
const isPattern = (value: unknown) => isText(value) || value instanceof RegExp;
const isExporter = (value: unknown) => typeof (value as Exporter | null)?.export === "function";

/** An array whose items pass `item`; a fault inside an item is reported at `{index}` or `{index}.{field}`. */
const isListOf = (item: Check): Check => (value) => {
  if (!Array.isArray(value)) return false;
  for (let index = 0; index < value.length; index++) {
    const verdict = item(value[index]);
    if (verdict !== true) return verdict === false ? String(index) : `${index}.${verdict}`;
  }
  return true;
};

/** A plain object with only `shape`'s keys, each optional unless listed in `required`. */
const isObjectOf = (shape: Record<string, Check>, required: string[] = []): Check => (value) => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!(key in shape)) return key;
  for (const [key, check] of Object.entries(shape)) {
    if (record[key] === undefined && !required.includes(key)) continue;
    const verdict = check(record[key]);
    if (verdict !== true) return verdict === false ? key : `${key}.${verdict}`;
  }
  return true;
};

/** Every config field: how to check it, and how to fix it (appended to a ConfigError's message). */
const fields: Record<keyof TracerConfig, [Check, string]> = {
  apiKey: [isText, "pass your phospho API key as a non-empty string, e.g. `apiKey: env.PHOSPHO_API_KEY`"],
  projectId: [isText, "pass your phospho project id as a non-empty string, e.g. `projectId: env.PHOSPHO_PROJECT_ID`"],
  baseUrl: [isHttpUrl, "pass an http(s) URL such as `https://api.phospho.ai`, or leave it out"],
  exporters: [isListOf(isExporter), "pass an array of exporters such as `[consoleExporter()]`; each needs an `export(batch, options)` method"],
  asyncLocalStorage: [isFunction, 'pass the class itself, `AsyncLocalStorage` from `node:async_hooks` (Workers need the `nodejs_als` flag)'],
  flushTimeoutMs: [isWhole(1), "pass a positive whole number of milliseconds, e.g. `25000`"],
  fetch: [isFunction, "pass a fetch function, or leave it out to use the global fetch"],
  versionId: [isText, "pass a non-empty string, or leave it out"],
  environment: [isText, "pass a non-empty string such as `production`, or leave it out"],
  providers: [
    isListOf(isObjectOf({ baseUrl: isHttpUrl, kind: isOneOf("openai", "mistral") }, ["baseUrl", "kind"])),
    'pass an array like `[{ baseUrl: "https://my-gateway.example/v1", kind: "openai" }]` (kind is "openai" or "mistral")',
  ],
  maxFieldBytes: [isWhole(256), "pass a whole number of bytes of at least 256, e.g. `65536`"],
  maxSteps: [isWhole(1), "pass a positive whole number, e.g. `1000`"],
  serviceName: [isText, "pass a non-empty string, or leave it out"],
  injectStreamUsage: [isBoolean, "pass true or false"],
  semconv: [isOneOf("current", "legacy", "both"), 'pass "current", "legacy" or "both"'],
  propagateTo: [isListOf(isPattern), 'pass an array of hosts, URL prefixes or RegExps, e.g. `["api.internal.example", /\\.my-company\\.com$/]`'],
  registerGlobal: [isBoolean, "pass true or false"],
  sampleRate: [isBetween(0, 1), "pass a number from 0 to 1, e.g. `0.1` to trace one invocation in ten"],
  keep: [
    isObjectOf({
      errors: isBoolean,
      slowerThanMs: isBetween(0, Infinity),
      moreTokensThan: isBetween(0, Infinity),
      finishReasons: isListOf((value) => typeof value === "string"),
    }),
    'pass an object like `{ errors: true, slowerThanMs: 5000, moreTokensThan: 4000, finishReasons: ["length"] }`',
  ],
  recordContent: [isBoolean, "pass true or false"],
  autoLog: [isBoolean, "pass true or false (false: an invocation that logs nothing exports its steps without a log)"],
  redact: [isFunction, "pass a function `(item) => item | null`"],
  onExportError: [isFunction, "pass a function `({ destination, reason, count }) => void`"],
};

// Workers vars are strings: `flushTimeoutMs = "5000"` in wrangler.toml means 5000, `recordContent = "false"` means false.
const NUMERIC = ["flushTimeoutMs", "maxFieldBytes", "maxSteps", "sampleRate"];
const BOOLEAN = ["injectStreamUsage", "registerGlobal", "recordContent", "autoLog"];

/** A var's text as the number or boolean it spells; anything else unchanged, for the check to report. */
function fromVar(key: string, value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (NUMERIC.includes(key) && text !== "" && Number.isFinite(Number(text))) return Number(text);
  if (BOOLEAN.includes(key) && (text === "true" || text === "false")) return text === "true";
  return value;
}

/** Validates `config` and fills the defaults. Throws a {@link ConfigError} naming the first bad field. */
export function resolveConfig(given: TracerConfig): ResolvedConfig {
  if (given === null || typeof given !== "object" || Array.isArray(given)) {
    const got = given === null ? "null" : Array.isArray(given) ? "an array" : typeof given;
    throw new ConfigError("config", `edge-tracer: \`config\` must be an object, got ${got}. Fix: pass an object such as \`{ apiKey, projectId }\`, or \`{}\` for the defaults.`);
  }
  const config = Object.fromEntries(Object.entries(given).map(([key, value]) => [key, fromVar(key, value)])) as TracerConfig;
  for (const [key, value] of Object.entries(config)) {
    const field = fields[key as keyof TracerConfig];
    if (!field) {
      const known = Object.keys(fields).map((name) => `\`${name}\``).join(", ");
      throw new ConfigError(key, `edge-tracer: \`${key}\` is not a config field. Fix: remove it or check its spelling; known fields are ${known}.`);
    }
    const verdict = value === undefined || field[0](value);
    if (verdict === true) continue;
    const path = verdict === false ? key : `${key}.${verdict}`;
    throw new ConfigError(path, `edge-tracer: \`${path}\` is invalid (got ${describeValue(valueAt(config, path))}). Fix: ${field[1]}.`);
  }
  if (config.apiKey && !config.projectId) {
    throw new ConfigError("projectId", `edge-tracer: \`projectId\` is missing: phospho needs both \`apiKey\` and \`projectId\`. Fix: ${fields.projectId[1]}, or drop \`apiKey\` to print traces to the console.`);
  }
  const resolved = { ...config } as Record<string, unknown>;
  if (config.projectId && !config.apiKey) {
    // The usual cause is a secret not set in this environment (a missing `.dev.vars`): trace to the console rather than fail.
    warnOnce("missing-api-key", `\`apiKey\` is missing while \`projectId\` is set, so traces go to the console instead of phospho. Fix: ${fields.apiKey[1]} (on Workers: \`wrangler secret put PHOSPHO_API_KEY\`, or \`.dev.vars\` locally).`);
    delete resolved.projectId;
  }
  for (const [key, value] of Object.entries(defaults())) resolved[key] ??= value;
  resolved.baseUrl = (resolved.baseUrl as string).replace(/\/+$/, "");
  return resolved as unknown as ResolvedConfig;
}

/** What each field left out (or given as undefined) becomes; a function, so no two configs share an array. */
const defaults = (): Partial<ResolvedConfig> => ({
  baseUrl: "https://api.phospho.ai",
  flushTimeoutMs: 25_000,
  providers: [],
  maxFieldBytes: 65_536,
  maxSteps: 1_000,
  injectStreamUsage: false,
  semconv: "current",
  propagateTo: [],
  registerGlobal: false,
  sampleRate: 1,
  keep: {},
  recordContent: true,
  autoLog: true,
  serviceName: "edge-tracer-app",
});

/** What was given, for the message: the fix text says what is expected. */
function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return value ? JSON.stringify(value) : "an empty string";
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  return String(value);
}

function valueAt(config: unknown, path: string): unknown {
  let at: unknown = config;
  for (const key of path.split(".")) at = (at as Record<string, unknown> | undefined)?.[key];
  return at;
}
