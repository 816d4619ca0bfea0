// Tests for config resolution: defaults, and a ConfigError naming the field and the fix for every mistake.
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, isConfigError } from "../errors/config-error.js";
import { EdgeTracerError } from "../errors/edge-tracer-error.js";
import { resolveConfig, type TracerConfig } from "./config.js";
import { createTracer } from "../api/tracer.js";
import { resetWarnings } from "../util/warn.js";

afterEach(() => {
  vi.restoreAllMocks();
  resetWarnings();
});

/** Runs `fn`, expecting a ConfigError; returns it. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

/** The ConfigError `resolveConfig` throws for `config`, checked for the field, backticks and a fix. */
function rejected(config: unknown, field: string): ConfigError {
  const error = configError(() => resolveConfig(config as TracerConfig));
  expect(error.field).toBe(field);
  expect(error.message).toContain(`\`${field}\``);
  expect(error.message).toContain("Fix:");
  return error;
}

describe("defaults", () => {
  it("fills every default for an empty config", () => {
    expect(resolveConfig({})).toEqual({
      baseUrl: "https://api.phospho.ai",
      flushTimeoutMs: 25_000,
      maxFieldBytes: 65_536,
      maxSteps: 1_000,
      providers: [],
      serviceName: "edge-tracer-app",
      injectStreamUsage: false,
      semconv: "current",
      propagateTo: [],
      registerGlobal: false,
      sampleRate: 1,
      keep: {},
      recordContent: true,
      autoLog: true,
    });
  });

  it("keeps the values it is given", () => {
    const providers = [{ baseUrl: "https://gw.example/v1", kind: "mistral" as const }];
    const resolved = resolveConfig({ apiKey: "k", projectId: "p", flushTimeoutMs: 5, maxFieldBytes: 256, maxSteps: 3, providers, environment: "prod" });
    expect(resolved).toMatchObject({ apiKey: "k", projectId: "p", flushTimeoutMs: 5, maxFieldBytes: 256, maxSteps: 3, providers, environment: "prod" });
  });

  it("removes trailing slashes from baseUrl", () => {
    expect(resolveConfig({ baseUrl: "https://eu.phospho.example/" }).baseUrl).toBe("https://eu.phospho.example");
    expect(resolveConfig({ baseUrl: "http://localhost:8787//" }).baseUrl).toBe("http://localhost:8787");
  });

  it("accepts exporters, fetch and asyncLocalStorage when they have the right shape", () => {
    class Als {
      getStore() {
        return undefined;
      }
      run<R>(_store: unknown, fn: () => R) {
        return fn();
      }
    }
    const exporter = { name: "mine", export: async () => ({ exported: 0, errors: [] }) };
    const config = { exporters: [exporter], fetch: globalThis.fetch, asyncLocalStorage: Als } as unknown as TracerConfig;
    expect(() => resolveConfig(config)).not.toThrow();
  });
});

describe("invalid fields", () => {
  it.each([-1, 0, "abc", 1.5, NaN, Infinity])("rejects flushTimeoutMs: %s", (flushTimeoutMs) => {
    rejected({ flushTimeoutMs }, "flushTimeoutMs");
  });

  it.each(["not a url", "ftp://x", "", 42])("rejects baseUrl: %j", (baseUrl) => {
    rejected({ baseUrl }, "baseUrl");
  });

  it("rejects maxFieldBytes below 256 and maxSteps that are not positive whole numbers", () => {
    rejected({ maxFieldBytes: 255 }, "maxFieldBytes");
    rejected({ maxSteps: 0 }, "maxSteps");
    rejected({ maxSteps: 2.5 }, "maxSteps");
  });

  it("names the exact provider field at fault", () => {
    const error = rejected({ providers: [{ baseUrl: "https://x", kind: "anthropic" }] }, "providers.0.kind");
    expect(error.message).toContain('"openai" or "mistral"');
    rejected({ providers: [{ baseUrl: "https://x", kind: "openai" }, { baseUrl: "nope", kind: "openai" }] }, "providers.1.baseUrl");
    rejected({ providers: "openai" }, "providers");
    rejected({ providers: [{ baseUrl: "https://x" }] }, "providers.0.kind");
    rejected({ providers: [{ baseUrl: "https://x", kind: "openai", model: "m" }] }, "providers.0.model");
  });

  it("names the exact keep rule at fault, misspelt ones included", () => {
    rejected({ keep: { slowerThanMs: -1 } }, "keep.slowerThanMs");
    rejected({ keep: { finishReasons: ["length", 3] } }, "keep.finishReasons.1");
    rejected({ keep: { error: true } }, "keep.error");
    rejected({ keep: [] }, "keep");
  });

  it("accepts a field given as undefined, as if left out", () => {
    expect(resolveConfig({ apiKey: undefined, flushTimeoutMs: undefined }).flushTimeoutMs).toBe(25_000);
  });

  it("rejects an exporter without an export method", () => {
    const error = configError(() => resolveConfig({ exporters: [{}] } as unknown as TracerConfig));
    expect(error.field).toMatch(/^exporters/);
    expect(error.message).toContain(`\`${error.field}\``);
    expect(error.message).toContain("Fix:");
    expect(error.message).toContain("export(");
  });

  it("rejects an asyncLocalStorage that is not a class", () => {
    const error = rejected({ asyncLocalStorage: 42 }, "asyncLocalStorage");
    expect(error.message).toContain("node:async_hooks");
  });

  it.each(["apiKey", "projectId", "versionId", "environment", "serviceName"])("rejects an empty or non-string %s", (field) => {
    const other = field === "apiKey" ? { projectId: "p" } : field === "projectId" ? { apiKey: "k" } : {};
    rejected({ ...other, [field]: "" }, field);
    rejected({ ...other, [field]: 123 }, field);
  });

  it("rejects fetch that is not a function", () => {
    rejected({ fetch: "https://example.com" }, "fetch");
  });
});

describe("unknown keys", () => {
  it("says a misspelt key is not a config field and lists the known ones", () => {
    const error = rejected({ apikey: "k" }, "apikey");
    expect(error.message).toContain("is not a config field");
    for (const known of ["apiKey", "projectId", "baseUrl", "flushTimeoutMs", "providers", "maxFieldBytes"]) {
      expect(error.message).toContain(`\`${known}\``);
    }
  });
});

describe("provider kind", () => {
  it("accepts a kind widened to string by a helper (it type-checks), and checks it at run time", () => {
    const gateway = (kind: string) => ({ baseUrl: "https://gateway.example/v1", kind });
    expect(createTracer({ providers: [gateway("openai")] }).config.providers[0]!.kind).toBe("openai");
    rejected({ providers: [gateway("anthropic")] }, "providers.0.kind");
  });
});

describe("phospho credentials", () => {
  it("needs projectId when apiKey is given", () => {
    const error = rejected({ apiKey: "k" }, "projectId");
    expect(error.message).toContain("missing");
  });

  it("falls back to the console, with one warning, when projectId comes without apiKey (a secret not set)", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const resolved = resolveConfig({ projectId: "p" });
    expect(resolved.projectId).toBeUndefined();
    resolveConfig({ projectId: "p" });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/`apiKey` is missing.*console.*wrangler secret put/s);
  });
});

describe("non-object config", () => {
  it.each([null, "apiKey=k", 42, true])("rejects %j with field `config`", (config) => {
    const error = rejected(config, "config");
    expect(error.message).toContain("must be an object");
  });

  it("rejects an array", () => {
    expect(configError(() => resolveConfig([] as unknown as TracerConfig)).field).toBe("config");
  });
});

describe("ConfigError", () => {
  it("is an EdgeTracerError and an Error named ConfigError", () => {
    const error = configError(() => resolveConfig({ flushTimeoutMs: -1 }));
    expect(error).toBeInstanceOf(EdgeTracerError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("ConfigError");
  });

  it("is recognised by isConfigError, also across realms by name", () => {
    expect(isConfigError(configError(() => resolveConfig({ maxSteps: -1 })))).toBe(true);
    expect(isConfigError(Object.assign(new Error("x"), { name: "ConfigError" }))).toBe(true);
    expect(isConfigError(new Error("x"))).toBe(false);
    expect(isConfigError(null)).toBe(false);
    expect(isConfigError(undefined)).toBe(false);
    expect(isConfigError("ConfigError")).toBe(false);
  });
});

describe("createTracer", () => {
  it("throws the same ConfigError as resolveConfig", () => {
    const direct = configError(() => resolveConfig({ flushTimeoutMs: -1 }));
    const viaTracer = configError(() => createTracer({ flushTimeoutMs: -1 }));
    expect(viaTracer.field).toBe(direct.field);
    expect(viaTracer.message).toBe(direct.message);
    expect(configError(() => createTracer({ apiKey: "k" })).field).toBe("projectId");
  });

  it("prints to the console without credentials", () => {
    const tracer = createTracer({});
    expect(tracer.exporters).toHaveLength(1);
    expect(tracer.exporters[0]!.name).toBe("console");
    expect(createTracer().exporters[0]!.name).toBe("console");
  });

  it("sends to phospho with an apiKey and projectId", () => {
    const tracer = createTracer({ apiKey: "k", projectId: "p" });
    expect(tracer.exporters).toHaveLength(1);
    expect(tracer.exporters[0]!.name).toBe("phospho");
    expect(tracer.config.baseUrl).toBe("https://api.phospho.ai");
  });

  it("uses the exporters it is given instead of the default", () => {
    const exporter = { name: "mine", export: async () => ({ exported: 0, errors: [] }) };
    const tracer = createTracer({ apiKey: "k", projectId: "p", exporters: [exporter] as unknown as TracerConfig["exporters"] });
    expect(tracer.exporters.map((e) => e.name)).toEqual(["mine"]);
  });
});
