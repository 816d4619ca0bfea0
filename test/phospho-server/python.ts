// Just enough of Python's value semantics to replay phospho's server code faithfully: dicts (as Maps, so `in`
// never sees a prototype), lists, str, float, bool, None, and the exceptions their operators raise.

/** A Python value as phospho's code sees it after `MessageToDict` or `json.loads`. Numbers here are Python floats. */
export type PyValue = string | number | boolean | null | PyValue[] | PyDict;
export type PyDict = Map<string, PyValue>;

/** A Python exception (TypeError, KeyError, IndexError, AttributeError) raised by the replayed code. */
export class PyException extends Error {
  override name = "PyException";
  constructor(readonly pyType: "TypeError" | "KeyError" | "IndexError" | "AttributeError" | "ValueError", message: string) {
    super(`${pyType}: ${message}`);
  }
}

export const isDict = (v: unknown): v is PyDict => v instanceof Map;

/** Python's type name, for the messages its exceptions carry. */
export function pyTypeName(v: PyValue | undefined): string {
  if (v === null || v === undefined) return "NoneType";
  if (isDict(v)) return "dict";
  if (Array.isArray(v)) return "list";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  return "float";
}

/** Python's `repr`, shortened, for messages. */
export function pyRepr(v: unknown): string {
  let text: string;
  if (v === null || v === undefined) text = "None";
  else if (v === true) text = "True";
  else if (v === false) text = "False";
  else if (typeof v === "string") text = `'${v}'`;
  else if (isDict(v)) text = `{${[...v].map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(", ")}}`;
  else if (Array.isArray(v)) text = `[${v.map(pyRepr).join(", ")}]`;
  else if (typeof v === "object") text = `{${Object.entries(v).map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(", ")}}`;
  else text = String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * `str.isdigit()` for the keys phospho splits. ASCII digits only: Python also says yes to other Unicode digits
 * (and then `int()` may raise on superscripts), which no exporter of ours writes.
 */
export const isDigit = (s: string): boolean => /^[0-9]+$/.test(s);

/** Python truthiness. */
export function truthy(v: PyValue | undefined): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (isDict(v)) return v.size > 0;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

/** `key in container`. */
export function contains(container: PyValue, key: string): boolean {
  if (isDict(container)) return container.has(key);
  if (typeof container === "string") return container.includes(key); // substring test, no error
  if (Array.isArray(container)) return container.some((item) => item === key);
  throw new PyException("TypeError", `argument of type '${pyTypeName(container)}' is not iterable`);
}

/** `container[key]`, with a str or an int key. */
export function getItem(container: PyValue, key: string | number): PyValue {
  if (isDict(container)) {
    // An int key never equals the dict's str keys.
    if (typeof key === "string" && container.has(key)) return container.get(key)!;
    throw new PyException("KeyError", typeof key === "string" ? `'${key}'` : String(key));
  }
  if (Array.isArray(container) || typeof container === "string") {
    const kind = Array.isArray(container) ? "list" : "string";
    if (typeof key === "string") throw new PyException("TypeError", `${kind} indices must be integers`);
    const items = Array.isArray(container) ? container : [...container];
    if (key >= items.length) throw new PyException("IndexError", `${kind} index out of range`);
    return items[key]!;
  }
  throw new PyException("TypeError", `'${pyTypeName(container)}' object is not subscriptable`);
}

/** `container[key] = value`. */
export function setItem(container: PyValue, key: string, value: PyValue): void {
  if (isDict(container)) {
    container.set(key, value);
    return;
  }
  if (Array.isArray(container)) throw new PyException("TypeError", "list indices must be integers or slices, not str");
  throw new PyException("TypeError", `'${pyTypeName(container)}' object does not support item assignment`);
}

/** `len(value)`. */
export function len(v: PyValue): number {
  if (isDict(v)) return v.size;
  if (Array.isArray(v)) return v.length;
  if (typeof v === "string") return [...v].length;
  throw new PyException("TypeError", `object of type '${pyTypeName(v)}' has no len()`);
}

/** `value.append(item)`. */
export function append(v: PyValue, item: PyValue): void {
  if (!Array.isArray(v)) throw new PyException("AttributeError", `'${pyTypeName(v)}' object has no attribute 'append'`);
  v.push(item);
}

/** `value.get(key)` (None when missing). */
export function dictGet(v: PyValue, key: string): PyValue {
  if (!isDict(v)) throw new PyException("AttributeError", `'${pyTypeName(v)}' object has no attribute 'get'`);
  return v.get(key) ?? null;
}

/** A Python value as JSON-like JS (dicts become plain objects), for reports and assertions. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export function toJson(v: PyValue): Json {
  if (isDict(v)) return Object.fromEntries([...v].map(([k, x]) => [k, toJson(x)]));
  if (Array.isArray(v)) return v.map(toJson);
  return v;
}
