// A minimal OpenTelemetry Context and a ContextManager over AsyncLocalStorage, structurally compatible with
// @opentelemetry/api's interfaces, so `startActiveSpan` works on runtimes that have ALS.
import type { Context, ContextManager } from "@opentelemetry/api";
import type { AsyncLocalStorageClass, AsyncLocalStorageLike } from "../model/config.js";

/** An immutable map of context values, as the API's own BaseContext: setting or deleting returns a new one. */
function otelContext(values: Map<symbol, unknown>): Context {
  const changed = (change: (copy: Map<symbol, unknown>) => unknown) => {
    const copy = new Map(values);
    change(copy);
    return otelContext(copy);
  };
  return {
    getValue: (key) => values.get(key),
    setValue: (key, value) => changed((copy) => copy.set(key, value)),
    deleteValue: (key) => changed((copy) => copy.delete(key)),
  };
}

export const ROOT_CONTEXT: Context = /*@__PURE__*/ otelContext(new Map());

export function alsContextManager(AlsClass: AsyncLocalStorageClass): ContextManager {
  const storage: AsyncLocalStorageLike<Context> = new AlsClass();
  const manager: ContextManager = {
    active: () => storage.getStore() ?? ROOT_CONTEXT,
    with: (context, fn, thisArg, ...args) => storage.run(context, () => fn.call(thisArg, ...args)),
    bind: <T>(context: Context, target: T): T =>
      typeof target === "function" ? (((...args: unknown[]) => storage.run(context, () => (target as (...a: unknown[]) => unknown)(...args))) as T) : target,
    enable: () => manager,
    disable: () => manager,
  };
  return manager;
}
