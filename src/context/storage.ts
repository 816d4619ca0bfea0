// Finds the current invocation implicitly when the runtime offers AsyncLocalStorage.
// We never import node:async_hooks: the class comes from the user's config or from a runtime global.
import type { AsyncLocalStorageClass, AsyncLocalStorageLike } from "../model/config.js";
import type { Recording } from "../record/collector.js";

// One storage for the isolate, created on first use. It holds no request data itself:
// each async chain carries its own Recording, which is what keeps requests apart.
let storage: AsyncLocalStorageLike<Recording> | undefined;

/** Creates the isolate's storage from `AlsClass`, or the runtime's global one (Next.js edge). Returns whether one exists. */
export function enableStorage(AlsClass?: AsyncLocalStorageClass): boolean {
  if (storage) return true;
  const Found = AlsClass ?? (globalThis as { AsyncLocalStorage?: AsyncLocalStorageClass }).AsyncLocalStorage;
  if (typeof Found === "function") storage = new Found();
  return storage !== undefined;
}

/** Whether AsyncLocalStorage is on in this isolate. */
export function hasStorage(): boolean {
  return storage !== undefined;
}

/** The context of the code calling, when AsyncLocalStorage is on. */
export function activeContext(): Recording | undefined {
  return storage?.getStore();
}

/** Runs `fn` with `context` as the active context (plainly, when there is no storage). */
export function runInContext<R>(context: Recording, fn: () => R): R {
  return storage ? storage.run(context, fn) : fn();
}
