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
}

/** A config with every default filled in. */
export interface ResolvedConfig extends TracerConfig {
  baseUrl: string;
  flushTimeoutMs: number;
  providers: ProviderEndpoint[];
  maxFieldBytes: number;
  maxSteps: number;
  serviceName: string;
}

const isFunction = (value: unknown) => typeof value === "function";
const isExporter = (value: unknown) => typeof (value as Exporter | null)?.export === "function";
const text = () => z.optional(z.string().check(z.minLength(1)));
const milliseconds = z.int().check(z.positive());

const schema = z.strictObject({
  apiKey: text(),
  projectId: text(),
  baseUrl: z.optional(z.url({ protocol: /^https?$/ })),
  exporters: z.optional(z.array(z.custom<Exporter>(isExporter))),
  asyncLocalStorage: z.optional(z.custom<AsyncLocalStorageClass>(isFunction)),
  flushTimeoutMs: z.optional(milliseconds),
  fetch: z.optional(z.custom<typeof fetch>(isFunction)),
  versionId: text(),
  environment: text(),
  providers: z.optional(
    z.array(z.strictObject({ baseUrl: z.url({ protocol: /^https?$/ }), kind: z.enum(["openai", "mistral"]) })),
  ),
  maxFieldBytes: z.optional(z.int().check(z.gte(256))),
  maxSteps: z.optional(z.int().check(z.positive())),
  serviceName: text(),
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
    const problem = isUnknownKey ? "is not a config field" : `is invalid: ${describeIssue(issue, valueAt(config, issue.path))}`;
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
    serviceName: valid.serviceName ?? "edge-tracer-app",
  };
}

type Issue = z.core.$ZodIssue;

/** zod/mini ships no messages (they would weigh on every bundle): say what was wrong ourselves. */
function describeIssue(issue: Issue, value: unknown): string {
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "string" ? JSON.stringify(value) : typeof value === "object" ? "an object" : typeof value === "function" ? "a function" : String(value);
  switch (issue.code) {
    case "invalid_type":
      return `expected ${issue.expected === "int" ? "a whole number" : issue.expected}, got ${got}`;
    case "too_small":
      return issue.origin === "string" ? "it is empty" : `it must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}, got ${got}`;
    case "invalid_format":
      return `expected a ${issue.format === "url" ? "URL" : issue.format}, got ${got}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${got}`;
    default:
      return `got ${got}`;
  }
}

function valueAt(config: unknown, path: PropertyKey[]): unknown {
  let at: unknown = config;
  for (const key of path) at = (at as Record<PropertyKey, unknown> | undefined)?.[key];
  return at;
}
