// The stream path of workerd: the caller's bytes go through native pipes (native-tap.ts), not a JavaScript pull
// stream. Here with a real Worker and a loopback upstream that cuts its reply at random byte offsets: the bytes the
// client reads are the upstream's exactly, the step is the same whatever the chunking, a returned stream keeps its
// step open until it is read, and the flush deadline exports a stalled stream as unfinished.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Miniflare } from "miniflare";
import { startWorker } from "../support/workerd.js";

const WORDS = "Once upon a time, a teal otter floated on a quiet river, holding hands with a friend. The end.".split(/(?<= )/);
const sseEvent = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
const chunk = (delta: object, finish: string | null = null) => ({ id: "c1", object: "chat.completion.chunk", model: "gpt-4o-mini-2024-07-18", choices: [{ index: 0, delta, finish_reason: finish }] });
/** A chat stream as OpenAI sends it: role, one word per event, the finish reason, usage, [DONE]. Multi-byte text included. */
const REPLY = [
  sseEvent(chunk({ role: "assistant", content: "" })),
  ...WORDS.map((word) => sseEvent(chunk({ content: word }))),
  sseEvent(chunk({ content: " ✨ — fin" })),
  sseEvent(chunk({}, "stop")),
  sseEvent({ id: "c1", object: "chat.completion.chunk", model: "gpt-4o-mini-2024-07-18", choices: [], usage: { prompt_tokens: 5, completion_tokens: 21, total_tokens: 26 } }),
  "data: [DONE]\n\n",
].join("");
const REPLY_BYTES = new TextEncoder().encode(REPLY);
const TEXT = WORDS.join("") + " ✨ — fin";

/** Byte offsets to cut the reply at, from a seed: 1 to 12 pieces, anywhere (inside a UTF-8 character too). */
function cuts(seed: number): number[] {
  let state = seed * 2654435761 % 2 ** 32;
  const random = () => ((state = (state * 1664525 + 1013904223) % 2 ** 32) / 2 ** 32);
  const count = 1 + Math.floor(random() * 12);
  return [...new Set(Array.from({ length: count }, () => 1 + Math.floor(random() * (REPLY_BYTES.length - 1))))].sort((a, b) => a - b);
}

let upstream: http.Server;
let upstreamUrl: string;
let worker: Miniflare;

beforeAll(async () => {
  // ?seed=N: the reply in the pieces of cuts(N), 2 ms apart (or ?delay=ms). ?stall=1: its start, then nothing.
  upstream = http.createServer(async (req, res) => {
    for await (const _ of req);
    const query = new URL(req.url!, "http://x").searchParams;
    res.writeHead(200, { "content-type": "text/event-stream" });
    // The role event and the first word, then nothing.
    if (query.has("stall")) return void res.write(REPLY_BYTES.subarray(0, 400));
    const at = [0, ...cuts(Number(query.get("seed") ?? 0)), REPLY_BYTES.length];
    for (let i = 0; i < at.length - 1 && !res.destroyed; i++) {
      res.write(REPLY_BYTES.subarray(at[i], at[i + 1]));
      await new Promise((resolve) => setTimeout(resolve, Number(query.get("delay") ?? 2)));
    }
    res.end();
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  worker = await startWorker("test/workers/stream-paths.ts", { bindings: { UPSTREAM_URL: upstreamUrl } });
});

afterAll(async () => {
  await worker?.dispose();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

type Step = { name: string; status: string; outputText?: string; firstTokenTime?: number; startTime: number; llm: { choices: { finishReason?: string }[]; usage?: object; chunks?: number; parseProblem?: string } };
const steps = async (): Promise<Step[]> => (await worker.dispatchFetch("http://worker/steps")).json() as Promise<Step[]>;
const stepsAfter = async (count: number, timeoutMs = 10_000): Promise<Step[]> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await steps();
    if (all.length > count) return all.slice(count);
    if (Date.now() > deadline) throw new Error(`no new step exported after ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe("workerd's native stream path", () => {
  it("hands the caller a native byte stream, as an untraced fetch does, not a JavaScript pull stream", async () => {
    for (const query of ["?untraced", ""]) {
      const response = await worker.dispatchFetch(`http://worker/proxy${query}`);
      expect(response.headers.get("x-byob"), query || "traced").toBe("true");
      await response.text();
    }
  });

  it("gives the client the upstream's bytes exactly and records the same step, whatever the chunking (20 chunkings)", async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const before = (await steps()).length;
      const response = await worker.dispatchFetch(`http://worker/proxy?seed=${seed}`);
      expect(new Uint8Array(await response.arrayBuffer()), `seed ${seed}: cuts ${cuts(seed)}`).toEqual(REPLY_BYTES);
      const [step] = await stepsAfter(before);
      expect(step, `seed ${seed}`).toMatchObject({ name: "chat gpt-4o-mini", status: "ok", outputText: TEXT });
      expect(step!.llm).toMatchObject({ choices: [{ finishReason: "stop" }], usage: { inputTokens: 5, outputTokens: 21 }, chunks: WORDS.length + 4 });
      expect(step!.llm.parseProblem).toBeUndefined();
      expect(step!.firstTokenTime).toBeGreaterThanOrEqual(step!.startTime);
    }
  });

  it("keeps a returned stream's step open while it streams: the flush waits for it, then exports it whole", async () => {
    const before = (await steps()).length;
    const response = await worker.dispatchFetch("http://worker/proxy?seed=7&delay=100");
    // The handler has returned; the stream has several pieces to go.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await steps()).length).toBe(before);
    expect(await response.text()).toBe(REPLY);
    const [step] = await stepsAfter(before);
    expect(step).toMatchObject({ status: "ok", outputText: TEXT });
  });

  it("exports a stream still open at the flush deadline as unfinished, with its time to first token", async () => {
    const before = (await steps()).length;
    const abort = new AbortController();
    const response = await worker.dispatchFetch("http://worker/proxy?stall=1&flushTimeoutMs=1000", { signal: abort.signal });
    const reader = response.body!.getReader();
    await reader.read();
    const [step] = await stepsAfter(before, 5_000);
    expect(step).toMatchObject({ status: "unfinished" });
    expect(step!.firstTokenTime).toBeGreaterThanOrEqual(step!.startTime);
    abort.abort();
    await reader.cancel().catch(() => {});
  });
});
