// Tests for the incremental SSE parser: line ends, fields, comments, UTF-8 splits and arbitrary re-chunking.
import { describe, expect, it } from "vitest";
import { createSseParser } from "./sse.js";
import { mulberry32, randomChunks } from "../../test/support/random-chunks.js";

type Dispatched = [data: string, event: string];
const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds each chunk (a string or raw bytes), then ends the stream; returns every dispatched (data, event). */
function parse(chunks: (string | Uint8Array)[]): Dispatched[] {
  const events: Dispatched[] = [];
  const parser = createSseParser((data, event) => events.push([data, event]));
  for (const chunk of chunks) parser.feed(typeof chunk === "string" ? bytes(chunk) : chunk);
  parser.end();
  return events;
}

describe("line ends", () => {
  it("accepts \\n, \\r\\n and \\r", () => {
    expect(parse(["data: a\n\n"])).toEqual([["a", "message"]]);
    expect(parse(["data: a\r\n\r\n"])).toEqual([["a", "message"]]);
    expect(parse(["data: a\r\r"])).toEqual([["a", "message"]]);
    expect(parse(["data: a\r\ndata: b\rdata: c\n\r\n"])).toEqual([["a\nb\nc", "message"]]);
  });

  it("does not see an extra blank line when \\r\\n is split across two chunks", () => {
    expect(parse(["data: a\r", "\ndata: b\r\n\r\n"])).toEqual([["a\nb", "message"]]);
    expect(parse(["data: a\r\n\r", "\ndata: b\r\n\r\n"])).toEqual([
      ["a", "message"],
      ["b", "message"],
    ]);
  });

  it("treats a lone \\r at the end of a chunk as a line end when the next chunk is not \\n", () => {
    expect(parse(["data: a\r", "data: b\r", "\r"])).toEqual([["a\nb", "message"]]);
    expect(parse(["data: a\r", "\r", "data: b\r\r"])).toEqual([
      ["a", "message"],
      ["b", "message"],
    ]);
  });

  it("dispatches an event as soon as its blank line arrives, before end()", () => {
    const events: string[] = [];
    const parser = createSseParser((data) => events.push(data));
    parser.feed(bytes("data: first\n\ndata: sec"));
    expect(events).toEqual(["first"]);
    parser.feed(bytes("ond\n\n"));
    expect(events).toEqual(["first", "second"]);
  });
});

describe("fields", () => {
  it("ignores comment lines such as keep-alives", () => {
    expect(parse([": keep-alive\n\ndata: x\n:another\n\n"])).toEqual([["x", "message"]]);
  });

  it("passes the event name and resets it after each event", () => {
    expect(parse(["event: delta\ndata: 1\n\ndata: 2\n\n"])).toEqual([
      ["1", "delta"],
      ["2", "message"],
    ]);
  });

  it("ignores id and retry", () => {
    expect(parse(["id: 42\nretry: 1000\ndata: x\n\n"])).toEqual([["x", "message"]]);
    expect(parse(["id: 42\nretry: 1000\n\n"])).toEqual([]);
  });

  it("joins multi-line data with \\n", () => {
    expect(parse(["data: line 1\ndata: line 2\ndata:\ndata: line 4\n\n"])).toEqual([["line 1\nline 2\n\nline 4", "message"]]);
  });

  it("removes exactly one space after the colon, and accepts none", () => {
    expect(parse(["data:x\n\ndata: x\n\ndata:  x\n\ndata: a:b\n\n"])).toEqual([
      ["x", "message"],
      ["x", "message"],
      [" x", "message"],
      ["a:b", "message"],
    ]);
  });

  it("reads a line without a colon as a field with an empty value", () => {
    expect(parse(["data\ndata: x\n\n"])).toEqual([["\nx", "message"]]);
    expect(parse(["data\n\n"])).toEqual([["", "message"]]);
    expect(parse(["bogus\ndata: x\n\n"])).toEqual([["x", "message"]]);
  });

  it("passes [DONE] through as data", () => {
    expect(parse(["data: {\"a\":1}\n\ndata: [DONE]\n\n"])).toEqual([
      ['{"a":1}', "message"],
      ["[DONE]", "message"],
    ]);
  });

  it("does not dispatch blank lines without data", () => {
    expect(parse(["\n\n\r\n\r\n"])).toEqual([]);
    expect(parse(["event: lonely\n\n"])).toEqual([]);
  });
});

describe("end of stream", () => {
  it("dispatches the last event on end() even without its blank line", () => {
    expect(parse(["data: a\n\ndata: b\n"])).toEqual([
      ["a", "message"],
      ["b", "message"],
    ]);
    expect(parse(["data: a\n\nevent: e\ndata: b"])).toEqual([
      ["a", "message"],
      ["b", "e"],
    ]);
    expect(parse(["data: b\r"])).toEqual([["b", "message"]]);
  });
});

describe("UTF-8 split across chunks", () => {
  const text = "héllo 😀 世界 Ωμέγα 👩‍👩‍👧 ñ";
  const stream = bytes(`data: ${text}\n\n`);

  it("decodes the text whatever byte it is split at", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(parse([stream.subarray(0, cut), stream.subarray(cut)]), `cut at byte ${cut}`).toEqual([[text, "message"]]);
    }
  });

  it("decodes the text fed one byte at a time", () => {
    expect(parse([...stream].map((byte) => Uint8Array.of(byte)))).toEqual([[text, "message"]]);
  });
});

describe("bytes that are not UTF-8", () => {
  it("never throws: a bad byte becomes U+FFFD, and the events around it are intact", () => {
    const bad = Uint8Array.of(...bytes("data: a"), 0xff, 0xfe, ...bytes("b\n\ndata: "), 0xc3, ...bytes("\n\ndata: ok\n\n"));
    expect(parse([bad])).toEqual([["a\uFFFD\uFFFDb", "message"], ["\uFFFD", "message"], ["ok", "message"]]);
    expect(parse([...bad].map((byte) => Uint8Array.of(byte)))).toEqual(parse([bad]));
  });

  it("ends with a truncated character without throwing", () => {
    expect(parse([Uint8Array.of(...bytes("data: x"), 0xf0, 0x9f)])).toEqual([["x\uFFFD", "message"]]);
  });

  it("drops a leading byte-order mark, as the format asks", () => {
    expect(parse([Uint8Array.of(0xef, 0xbb), Uint8Array.of(0xbf, ...bytes("data: x\n\n"))])).toEqual([["x", "message"]]);
  });
});

// ---- Property: any chunking of a stream dispatches the same events as the whole buffer at once. ----


function openAiStream(): string {
  const base = { id: "chatcmpl-B9x2", object: "chat.completion.chunk", created: 1764000000, model: "gpt-4o-mini-2024-07-18", system_fingerprint: "fp_0ba0d124f1" };
  const words = ["Teal", " is", " a", " calm", ",", " deep", " blue", "-", "green", " colour", " — café", " 🌊", "."];
  const chunks = [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }], usage: null },
    ...words.map((content) => ({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }], usage: null })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage: null },
    { ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: 13, total_tokens: 25 } },
  ];
  return chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join("") + "data: [DONE]\n\n";
}

function mistralStream(): string {
  const base = { id: "cmpl-7f3e", object: "chat.completion.chunk", created: 1764000000, model: "mistral-small-latest" };
  const words = ["Le", " bleu", " sarcelle", " est", " très", " apaisant", " — 青緑", " 😌"];
  const lines = [": ping", "", ...words.flatMap((content, i) => [`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: i === words.length - 1 ? "stop" : null }] })}`, ""])];
  lines.push("event: usage", "data: {\"usage\":", "data: {\"prompt_tokens\":9,\"completion_tokens\":8}}", "", "data: [DONE]", "", "");
  return lines.join("\r\n");
}

describe("re-chunking a recorded stream", () => {
  const streams = { openai: openAiStream(), mistral: mistralStream() };

  for (const [name, text] of Object.entries(streams)) {
    it(`dispatches the same events for 1,000 random chunkings of the ${name} stream`, () => {
      const buffer = bytes(text);
      const expected = parse([buffer]);
      expect(expected.length).toBeGreaterThan(8);
      expect(expected.at(-1)).toEqual(["[DONE]", "message"]);
      const baseSeed = 0x5eed0000 + (name === "openai" ? 1 : 2);
      for (let run = 0; run < 1000; run++) {
        const seed = baseSeed + run;
        const chunks = randomChunks(buffer, mulberry32(seed));
        expect(parse(chunks), `${name} stream, seed ${seed} (${chunks.length} chunks)`).toEqual(expected);
      }
    });
  }

  it("dispatches the Mistral stream's comment-free events with their names and non-ASCII text", () => {
    const events = parse([bytes(mistralStream())]);
    expect(events.map(([, event]) => event).filter((event) => event !== "message")).toEqual(["usage"]);
    expect(events.at(-2)).toEqual(['{"usage":\n{"prompt_tokens":9,"completion_tokens":8}}', "usage"]);
    const text = events.slice(0, -2).map(([data]) => JSON.parse(data).choices[0].delta.content).join("");
    expect(text).toBe("Le bleu sarcelle est très apaisant — 青緑 😌");
  });

  it("reassembles the OpenAI stream's text and usage", () => {
    const events = parse([bytes(openAiStream())]).map(([data]) => data);
    expect(events).toHaveLength(17);
    const chunks = events.slice(0, -1).map((data) => JSON.parse(data));
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe("Teal is a calm, deep blue-green colour — café 🌊.");
    expect(chunks.at(-1).usage).toEqual({ prompt_tokens: 12, completion_tokens: 13, total_tokens: 25 });
  });
});
