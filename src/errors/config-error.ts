// The one error a user can meet: a configuration mistake, reported at startup with the field and the fix.
import { EdgeTracerError } from "./edge-tracer-error.js";

/**
 * Thrown by `createTracer` (and the first request of `instrument`/`withTracer`) when the config is invalid.
 * The message names the field in backticks and says how to fix it.
 *
 * @example
 * try { createTracer({ flushTimeoutMs: -1 }) } catch (e) { if (isConfigError(e)) console.error(e.field, e.message) }
 */
export class ConfigError extends EdgeTracerError {
  override name = "ConfigError";
  /** The config field at fault, as a dotted path (`providers.0.kind`). */
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}

/**
 * True when `error` is a {@link ConfigError}, whatever realm it came from.
 *
 * @example catch (error) { if (isConfigError(error)) console.error(`fix \`${error.field}\`: ${error.message}`); }
 */
export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError || (error as { name?: unknown } | null)?.name === "ConfigError";
}
