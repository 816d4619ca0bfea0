// `registerGlobal: true`: makes edge-tracer the global OpenTelemetry tracer provider (and, with ALS, the
// context manager), through the API's documented global slot, so no copy of @opentelemetry/api ships with us.
import type { ContextManager } from "@opentelemetry/api";
import type { AsyncLocalStorageClass } from "../model/config.js";
import { warnOnce } from "../util/warn.js";
import { alsContextManager } from "./context-manager.js";
import { OTEL_GLOBAL } from "./global-api.js";
import { stepTracerProvider } from "./tracer-provider.js";

/** Keep in step with the `@opentelemetry/api` version in package.json. */
const OTEL_API_VERSION = "1.9.1";

interface Slot {
  version: string;
  trace?: unknown;
  context?: ContextManager;
}

const ours = new WeakSet<object>();

export function registerGlobal(AlsClass: AsyncLocalStorageClass | undefined): void {
  const global = globalThis as Record<symbol, Slot | undefined>;
  // An API copy reads a global of its own minor or higher, and registers into one of exactly its version:
  // the version of the @opentelemetry/api we depend on, which npm shares with the user's copy.
  const slot = (global[OTEL_GLOBAL] ??= { version: OTEL_API_VERSION });
  if (slot.trace) {
    // Ours already (a second tracer in the isolate), or another SDK's.
    if (!ours.has(slot.trace as object)) warnOnce("register-global", "`registerGlobal`: another OpenTelemetry tracer provider is already registered, so edge-tracer left it in place; its active spans still parent our root spans.");
    return;
  }
  if (!slot.context && AlsClass) slot.context = alsContextManager(AlsClass);
  // The context manager is read at each use: one registered later (by the user or another SDK) is the one used.
  const provider = stepTracerProvider(() => global[OTEL_GLOBAL]?.context);
  ours.add(provider);
  slot.trace = provider;
}
