// Turns whatever a user logs into JSON-safe data and bounded text, noting what had to change.
// A log must never throw: circular objects, BigInt, functions, symbols and huge strings all get a readable stand-in.

const MAX_DEPTH = 32;
const encoder = /*@__PURE__*/ new TextEncoder();

/** JSON-safe copy of a value plus the list of things that could not be kept as they were. */
export interface Sanitized {
  value: unknown;
  problems: string[];
}

/** Makes `value` JSON-safe. `where` names it in problem messages (`input`, `metadata.user`). */
export function sanitize(value: unknown, where: string): Sanitized {
  const problems: string[] = [];
  const ancestors: object[] = [];

  // A getter that throws costs only its own key: its siblings are kept.
  const read = (object: object, key: string, path: string): unknown => {
    try {
      return (object as Record<string, unknown>)[key];
    } catch (error) {
      problems.push(`${path}: reading it threw (${error instanceof Error ? error.message : String(error)})`);
      return "[Unreadable]";
    }
  };

  const visit = (item: unknown, path: string, depth: number): unknown => {
    switch (typeof item) {
      case "string":
      case "boolean":
        return item;
      case "number":
        if (Number.isFinite(item)) return item;
        problems.push(`${path}: ${item} is not valid JSON, kept as a string`);
        return String(item);
      case "bigint":
        problems.push(`${path}: BigInt kept as a string`);
        return item.toString();
      case "undefined":
        return undefined;
      case "function":
        problems.push(`${path}: a function cannot be serialized, kept as its name`);
        return `[Function ${item.name || "anonymous"}]`;
      case "symbol":
        problems.push(`${path}: a symbol cannot be serialized, kept as its description`);
        return item.toString();
    }
    if (item === null) return null;
    const object = item as object;
    if (ancestors.includes(object)) {
      problems.push(`${path}: circular reference replaced by "[Circular]"`);
      return "[Circular]";
    }
    if (depth >= MAX_DEPTH) {
      problems.push(`${path}: nested deeper than ${MAX_DEPTH} levels, cut`);
      return "[Too deep]";
    }
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? "Invalid Date" : object.toISOString();
    if (object instanceof Error) return { name: object.name, message: object.message };
    if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) {
      return `[${object.constructor.name} ${object.byteLength} bytes]`;
    }
    ancestors.push(object);
    try {
      if (Array.isArray(object)) return object.map((entry, index) => visit(entry, `${path}[${index}]`, depth + 1) ?? null);
      if (object instanceof Map) return visit(Object.fromEntries(object), path, depth);
      if (object instanceof Set) return visit([...object], path, depth);
      const toJSON = (object as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return visit(toJSON.call(object), path, depth);
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(object)) {
        const entry = visit(read(object, key, `${path}.${key}`), `${path}.${key}`, depth + 1);
        if (entry !== undefined) copy[key] = entry;
      }
      return copy;
    } catch (error) {
      // A getter or toJSON that throws: keep what we can say about it.
      problems.push(`${path}: reading it threw (${error instanceof Error ? error.message : String(error)})`);
      return "[Unreadable]";
    } finally {
      ancestors.pop();
    }
  };

  return { value: visit(value, where, 0), problems };
}

/** Text for a user value: strings as they are, anything else as JSON. */
export function toText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return JSON.stringify(value) ?? "";
}

/**
 * Cuts `text` to at most `maxBytes` of UTF-8 and says so at the end, with the original length,
 * so a reader of the trace knows the field was truncated and by how much.
 */
export function clip(text: string, maxBytes: number): string {
  // Fast path: a UTF-8 character is at most 3 bytes per UTF-16 unit.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  const kept = new TextDecoder().decode(bytes.subarray(0, maxBytes)).replace(/\uFFFD$/, "");
  return `${kept}…[truncated by edge-tracer: ${bytes.length} bytes originally]`;
}
