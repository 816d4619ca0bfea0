// The tracer's only voice: one console line per kind of problem, so a hot loop never floods the logs.

const said = new Set<string>();

/** Prints `message` once per `key` for the life of the isolate. */
export function warnOnce(key: string, message: string): void {
  if (said.has(key)) return;
  said.add(key);
  console.warn(`[edge-tracer] ${message}`);
}

/** Runs `fn`, and turns anything it throws into one warning: the tracer never throws into user code. */
export function guard<T>(where: string, fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch (error) {
    warnOnce(`internal:${where}`, `internal error in ${where}, tracing continues without it: ${describeError(error)}`);
    return fallback;
  }
}

/** `Name: message` of any thrown value, for one-line reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** @internal For tests: forget what was said. */
export function resetWarnings(): void {
  said.clear();
}
