// unpackable and addUserKeys: every key placed where phospho's unpacking (the model's convertAttributes) reads it
// without raising, replacing or misplacing anything.
import type { Attributes } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { convertAttributes } from "../../test/phospho-server/model.js";
import { toJson } from "../../test/phospho-server/python.js";
import { addUserKeys, unpackable } from "./phospho-attributes.js";

/** What the server makes of `attributes`, and what it noted on the way. */
function unpacked(attributes: Attributes) {
  const notes: string[] = [];
  const kv = Object.entries(attributes).map(([key, value]) => ({
    key,
    value: typeof value === "string" ? { value: "stringValue", stringValue: value }
      : typeof value === "boolean" ? { value: "boolValue", boolValue: value }
      : { value: "doubleValue", doubleValue: value as number },
  }));
  return { tree: toJson(convertAttributes(kv, notes)), notes };
}

describe("unpackable", () => {
  it("moves a leaf that prefixes other keys to `<key>._value`, picking a free name", () => {
    expect(unpackable({ user: "bob", "user.tier": "pro" })).toEqual({ "user._value": "bob", "user.tier": "pro" });
    expect(unpackable({ a: 1, "a._value": 2, "a.b": 3 })).toEqual({ "a._value_2": 1, "a._value": 2, "a.b": 3 });
    expect(unpacked(unpackable({ "db.system": "d1", "db.system.name": "d1" }))).toEqual({ tree: { db: { system: { _value: "d1", name: "d1" } } }, notes: [] });
  });

  it("keeps a list of objects, its indexes renumbered from 0 in order", () => {
    const attributes = { "p.2.role": "user", "p.0.role": "system", "p.0.content": "be brief", "p.5.content": "hi" };
    expect(unpackable(attributes)).toEqual({ "p.0.role": "system", "p.0.content": "be brief", "p.1.role": "user", "p.2.content": "hi" });
    expect(unpacked(unpackable(attributes))).toEqual({ tree: { p: [{ role: "system", content: "be brief" }, { role: "user" }, { content: "hi" }] }, notes: [] });
  });

  it("renames digits that would not make a list of objects: at the root, as a leaf, beside words, in a list item", () => {
    expect(unpackable({ "0.a": 1, "x.0": 2, "y.0.a": 3, "y.b": 4, "z.0.1.a": 5 })).toEqual({ "_0.a": 1, "x._0": 2, "y._0.a": 3, "y.b": 4, "z.0._1.a": 5 });
    expect(unpacked(unpackable({ "0.a": 1, "x.0": 2, "y.0.a": 3, "y.b": 4, "z.0.1.a": 5 })).notes).toEqual([]);
  });

  it("writes nothing for an empty set, and drops no value", () => {
    expect(unpackable({})).toEqual({});
    expect(unpackable({ "": "empty", a: "x", "a.": "dot" })).toEqual({ "": "empty", "a._value": "x", "a.": "dot" });
  });
});

describe("addUserKeys", () => {
  it("flattens objects, renames digit segments, keeps what is set and writes other values as JSON", () => {
    const attributes: Attributes = { "m.plan": "set" };
    addUserKeys(attributes, "m.", { plan: "pro", "0": "zero", "a.1.b": true, nested: { "²": 2 }, list: ["x", 1], objects: [{ a: 1 }], none: null });
    expect(attributes).toEqual({
      "m.plan": "set", "m.plan_2": "pro", "m._0": "zero", "m.a._1.b": true, "m.nested._²": 2, "m.list": ["x", 1], "m.objects": '[{"a":1}]',
    });
  });
});
