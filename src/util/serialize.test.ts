// Tests for turning any logged value into JSON-safe data (sanitize, toText) and bounded text (clip).
import { describe, expect, it } from "vitest";
import { clip, sanitize, toText } from "./serialize.js";

const utf8 = (text: string) => new TextEncoder().encode(text).length;

/** Sanitizes, checks the result always stringifies, and returns it. */
function safe(value: unknown, where = "input") {
  const result = sanitize(value, where);
  expect(() => JSON.stringify(result.value)).not.toThrow();
  return result;
}

describe("sanitize: plain JSON", () => {
  it("keeps plain data as it is, with no problems", () => {
    const value = { a: 1, b: "two", c: [true, null, { d: 1.5 }], e: {} };
    expect(safe(value)).toEqual({ value, problems: [] });
  });

  it("drops undefined properties and turns undefined array entries into null, like JSON", () => {
    expect(safe({ a: undefined, b: [undefined, 1] }).value).toEqual({ b: [null, 1] });
  });
});

describe("sanitize: references", () => {
  it("replaces a circular reference and names its path", () => {
    const self: Record<string, unknown> = { name: "loop" };
    self.self = self;
    const { value, problems } = safe(self);
    expect(value).toEqual({ name: "loop", self: "[Circular]" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("input.self");
  });

  it("names the path of a cycle deep inside arrays", () => {
    const parent: Record<string, unknown> = { children: [] };
    (parent.children as unknown[]).push({ parent });
    const { value, problems } = safe(parent, "metadata");
    expect(value).toEqual({ children: [{ parent: "[Circular]" }] });
    expect(problems.join("\n")).toContain("metadata.children[0].parent");
  });

  it("keeps a shared object that appears twice without a cycle", () => {
    const shared = { id: 7 };
    const { value, problems } = safe({ first: shared, second: shared, list: [shared, shared] });
    expect(value).toEqual({ first: { id: 7 }, second: { id: 7 }, list: [{ id: 7 }, { id: 7 }] });
    expect(problems).toEqual([]);
  });
});

describe("sanitize: values JSON cannot hold", () => {
  it("keeps a BigInt as its digits", () => {
    const { value, problems } = safe({ big: 12345678901234567890n });
    expect(value).toEqual({ big: "12345678901234567890" });
    expect(problems.join("\n")).toContain("input.big");
  });

  it("keeps a function as its name", () => {
    function handler() {}
    const { value, problems } = safe({ named: handler, anon: [() => 1][0] });
    expect((value as Record<string, string>).named).toBe("[Function handler]");
    expect((value as Record<string, string>).anon).toMatch(/^\[Function /);
    expect(problems.join("\n")).toContain("input.named");
    expect(problems.join("\n")).toContain("input.anon");
  });

  it("keeps a symbol as its description", () => {
    const { value, problems } = safe({ tag: Symbol("marker") });
    expect(value).toEqual({ tag: "Symbol(marker)" });
    expect(problems.join("\n")).toContain("input.tag");
  });

  it("keeps NaN and Infinity as strings", () => {
    const { value, problems } = safe({ scores: [NaN, Infinity, -Infinity, 1] });
    expect(value).toEqual({ scores: ["NaN", "Infinity", "-Infinity", 1] });
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toContain("input.scores[0]");
    expect(problems.join("\n")).toContain("input.scores[2]");
  });

  it("handles a top-level value that is not an object", () => {
    expect(safe(10n, "output")).toEqual({ value: "10", problems: [expect.stringContaining("output")] });
    expect(safe("text").value).toBe("text");
    expect(safe(null).value).toBe(null);
  });
});

describe("sanitize: built-in objects", () => {
  it("turns a valid Date into its ISO string and an invalid one into a readable marker", () => {
    const { value } = safe({ at: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)), bad: new Date("nope") });
    expect(value).toEqual({ at: "2025-01-02T03:04:05.006Z", bad: "Invalid Date" });
  });

  it("keeps an Error's name and message", () => {
    const error = new TypeError("boom");
    const { value } = safe({ error });
    expect(value).toEqual({ error: { name: "TypeError", message: "boom" } });
  });

  it("describes typed arrays and ArrayBuffers by type and size", () => {
    const { value } = safe({ u8: new Uint8Array(3), f64: new Float64Array(2), raw: new ArrayBuffer(5), view: new DataView(new ArrayBuffer(4)) });
    expect(value).toEqual({ u8: "[Uint8Array 3 bytes]", f64: "[Float64Array 16 bytes]", raw: "[ArrayBuffer 5 bytes]", view: "[DataView 4 bytes]" });
  });

  it("turns a Map into an object and a Set into an array", () => {
    const { value, problems } = safe({ map: new Map<string, unknown>([["a", 1], ["b", new Set([1, 2])]]), set: new Set(["x", { y: 1 }]) });
    expect(value).toEqual({ map: { a: 1, b: [1, 2] }, set: ["x", { y: 1 }] });
    expect(problems).toEqual([]);
  });

  it("names the path of a problem inside a Map", () => {
    const { problems } = safe({ map: new Map([["count", 5n]]) });
    expect(problems.join("\n")).toContain("input.map.count");
  });

  it("uses toJSON when an object has one", () => {
    const money = { cents: 1999, toJSON: () => "$19.99" };
    expect(safe({ price: money }).value).toEqual({ price: "$19.99" });
  });

  it("reports a toJSON that throws instead of throwing", () => {
    const { value, problems } = safe({ odd: { toJSON: () => { throw new Error("no json") } } });
    expect(value).toEqual({ odd: "[Unreadable]" });
    expect(problems.join("\n")).toMatch(/input\.odd.*no json/);
  });
});

describe("sanitize: hostile objects", () => {
  const withThrowingGetter = () => ({
    ok: 1,
    get secret(): string {
      throw new Error("access denied");
    },
  });

  it("does not throw on a getter that throws, and names the getter's path", () => {
    const { problems } = safe(withThrowingGetter());
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("input.secret");
    expect(problems[0]).toContain("access denied");
  });

  it("keeps the readable siblings of a getter that throws", () => {
    expect(safe({ user: withThrowingGetter() }).value).toEqual({ user: { ok: 1, secret: "[Unreadable]" } });
  });

  it("cuts nesting deeper than 32 levels and names where", () => {
    let deep: Record<string, unknown> = { bottom: true };
    for (let i = 0; i < 40; i++) deep = { next: deep };
    const { value, problems } = safe(deep);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`input${".next".repeat(32)}`);
    let cursor = value as Record<string, unknown>;
    for (let i = 0; i < 32; i++) cursor = cursor.next as Record<string, unknown>;
    expect(cursor).toBe("[Too deep]");
  });

  it("does not throw on deep arrays either", () => {
    let deep: unknown = [];
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(safe(deep).problems[0]).toContain("input" + "[0]".repeat(32));
  });
});

describe("toText", () => {
  it("keeps strings as they are and writes anything else as JSON", () => {
    expect(toText("héllo")).toBe("héllo");
    expect(toText(undefined)).toBe("");
    expect(toText({ a: [1, "b"] })).toBe('{"a":[1,"b"]}');
    expect(toText(null)).toBe("null");
    expect(toText(3)).toBe("3");
  });
});

describe("clip", () => {
  const marker = /…\[truncated by edge-tracer: (\d+) bytes originally\]$/;

  /** Splits a clipped string into the kept text and the original byte length the marker states. */
  function parts(clipped: string) {
    const match = marker.exec(clipped);
    expect(match, `no truncation marker in ${JSON.stringify(clipped.slice(-80))}`).not.toBeNull();
    return { kept: clipped.slice(0, match!.index), original: Number(match![1]) };
  }

  it("leaves short text unchanged", () => {
    expect(clip("hello", 256)).toBe("hello");
    expect(clip("", 256)).toBe("");
    expect(clip("é".repeat(128), 256)).toBe("é".repeat(128)); // exactly 256 bytes
  });

  it("cuts long ASCII to maxBytes and states the original size", () => {
    const { kept, original } = parts(clip("a".repeat(1000), 256));
    expect(kept).toBe("a".repeat(256));
    expect(original).toBe(1000);
  });

  it("never splits a multi-byte character, at any limit", () => {
    const text = "é世😀".repeat(50) + "ü"; // 2-, 3- and 4-byte characters
    const size = utf8(text);
    for (let max = 0; max < size; max++) {
      const { kept, original } = parts(clip(text, max));
      expect(original).toBe(size);
      expect(kept).not.toContain("\uFFFD");
      expect(utf8(kept), `maxBytes ${max}`).toBeLessThanOrEqual(max);
      expect(utf8(kept), `maxBytes ${max}`).toBeGreaterThan(max - 4);
      expect(text.startsWith(kept)).toBe(true);
    }
    expect(clip(text, size)).toBe(text);
  });

  it("counts bytes, not UTF-16 units", () => {
    const emoji = "😀".repeat(100); // 200 units, 400 bytes
    const { kept, original } = parts(clip(emoji, 300));
    expect(kept).toBe("😀".repeat(75));
    expect(original).toBe(400);
  });
});
