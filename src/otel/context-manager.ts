// A minimal OpenTelemetry Context and a ContextManager over AsyncLocalStorage, structurally compatible with
// @opentelemetry/api's interfaces, so `startActiveSpan` works on runtimes that have ALS.
import type { Context, ContextManager } from "@opentelemetry/api";
import type { AsyncLocalStorageClass, AsyncLocalStorageLike } from "../context/storage.js";

/** An immutable map of context values, as the API's own BaseContext. */
class OtelContext implements Context {
  readonly #values: Map<symbol, unknown>;
  constructor(values?: Map<symbol, unknown>) {
    this.#values = values ?? new Map();
  }
  getValue(key: symbol): unknown {
    return this.#values.get(key);
  }
  setValue(key: symbol, value: unknown): Context {
    return new OtelContext(new Map(this.#values).set(key, value));
  }
  deleteValue(key: symbol): Context {
    const values = new Map(this.#values);
    values.delete(key);
    return new OtelContext(values);
  }
}

export const ROOT_CONTEXT: Context = new OtelContext();

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
