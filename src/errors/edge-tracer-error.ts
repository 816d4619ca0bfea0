// The base class of every error edge-tracer throws, so callers can tell ours from theirs.

/**
 * Base class of the errors edge-tracer throws. Only configuration mistakes ever reach user code.
 *
 * @example if (error instanceof EdgeTracerError) { ... }
 */
export class EdgeTracerError extends Error {
  override name = "EdgeTracerError";
}
