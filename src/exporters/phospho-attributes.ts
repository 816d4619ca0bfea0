// The attributes of a span sent to phospho: what its server reads (the `phospho.*` links, `gen_ai.*` facts), laid out
// so that its unpacking of dotted keys into nested objects can never raise, misplace a value or make a list of an
// object (reference/phospho-wire-format.md, "What the server does after it replies").
import type { Attributes, AttributeValue } from "@opentelemetry/api";
import type { ExportedStep } from "../model/exporter.js";
import { toText } from "../util/serialize.js";

/** A segment Python's `str.isdigit()` may accept: the server would read it as a list index. */
const DIGITS = /^[\p{Nd}\p{No}]+$/u;
/** An index our own keys use (`gen_ai.prompt.0.content`): ASCII digits. */
const INDEX = /^[0-9]+$/;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isScalar = (value: unknown) => typeof value === "string" || typeof value === "number" || typeof value === "boolean";

/**
 * Adds a user's record under `prefix` (`phospho.metadata.`, `gen_ai.`…): nested objects flattened to dotted keys,
 * digit-only segments renamed `_0` (so they never make a list), values that are not attribute values as JSON text,
 * and a key already set kept, the new one renamed `key_2`. Nothing is dropped but null and undefined.
 */
export function addUserKeys(attributes: Attributes, prefix: string, record: Record<string, unknown> = {}): void {
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined || value === null) continue;
    const name = prefix + key.split(".").map((part) => (DIGITS.test(part) ? `_${part}` : part)).join(".");
    if (isPlainObject(value)) addUserKeys(attributes, `${name}.`, value);
    else {
      let free = name;
      for (let n = 2; free in attributes; n++) free = `${name}_${n}`;
      attributes[free] = isScalar(value) || (Array.isArray(value) && value.every(isScalar)) ? (value as AttributeValue) : toText(value);
    }
  }
}

/**
 * A custom or manual step as phospho's Python SDK writes a step: `gen_ai.<field>` for its name, input, output and
 * other fields, once each. A custom step's metadata (an OpenTelemetry span's attributes among them) is its field
 * `metadata`, so it lands under `gen_ai.metadata.*`; a manual step's extra fields sit beside its name.
 */
export function stepAttributes(step: ExportedStep): Attributes {
  const attributes: Attributes = { "edge_tracer.step.kind": step.kind, "gen_ai.name": step.name };
  if (step.status !== "ok") attributes["edge_tracer.step.status"] = step.status;
  if (step.error) attributes["error.type"] = step.error.type;
  if (step.inputText !== undefined) attributes["gen_ai.input"] = step.inputText;
  if (step.outputText !== undefined) attributes["gen_ai.output"] = step.outputText;
  addUserKeys(attributes, step.kind === "manual" ? "gen_ai." : "gen_ai.metadata.", step.metadata);
  return attributes;
}

interface Node {
  value?: AttributeValue;
  kids: Map<string, Node>;
}

/**
 * The same attributes, with every key placed so that phospho unpacks them without conflict: a key that is both a
 * leaf and the prefix of others moves its value to `<key>._value`; digit segments stay list indexes only where
 * they form a list (renumbered from 0, in order), and elsewhere become `_<digits>`.
 *
 * @example unpackable({ user: "bob", "user.tier": "pro" }) // { "user._value": "bob", "user.tier": "pro" }
 */
export function unpackable(attributes: Attributes): Attributes {
  const root: Node = { kids: new Map() };
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    let node = root;
    for (const part of key.split(".")) {
      let kid = node.kids.get(part);
      if (!kid) node.kids.set(part, (kid = { kids: new Map() }));
      node = kid;
    }
    node.value = value;
  }
  const out: Attributes = {};
  place(root, "", out, false);
  return out;
}

/** Writes `node` at `path`. `canList`: the server would make a list of it (not the root, not a list item). */
function place(node: Node, path: string, out: Attributes, canList: boolean): void {
  const kids = [...node.kids];
  const at = (name: string) => (path ? `${path}.${name}` : name);
  if (!kids.length) {
    if (node.value !== undefined) out[path] = node.value;
    return;
  }
  // A list: the server appends one item per new index, so indexes must run 0, 1, 2… in order, each an object.
  if (canList && node.value === undefined && kids.every(([name, kid]) => INDEX.test(name) && kid.value === undefined)) {
    kids.sort(([a], [b]) => Number(a) - Number(b)).forEach(([, kid], i) => place(kid, at(String(i)), out, false));
    return;
  }
  const taken = new Set(node.kids.keys());
  const free = (base: string) => {
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
    taken.add(name);
    return name;
  };
  if (node.value !== undefined) out[at(free("_value"))] = node.value;
  for (const [name, kid] of kids) place(kid, at(DIGITS.test(name) ? free(`_${name}`) : name), out, true);
}
