// `injectStreamUsage`: the one case where the request body may change. Off, every request goes out byte for byte.
import { afterEach, describe, expect, it, vi } from "vitest";
import { event, jsonInit, sse, traced, upstream } from "../../test/support/upstream.js";

afterEach(() => vi.restoreAllMocks());

const CHAT = "https://api.openai.com/v1/chat/completions";
const usageStream = () => sse([
  event({ id: "c", choices: [{ index: 0, delta: { content: "Teal" }, finish_reason: "stop" }], usage: null }),
  event({ id: "c", choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
  "data: [DONE]\n\n",
]);
const streamed = '{ "model": "gpt-4o-mini",\n  "stream": true, "messages": [{"role":"user","content":"Say a color"}] }\n';

/** Sends `init` through a traced fetch with the option as given; returns the body text upstream received. */
async function sent(injectStreamUsage: boolean, url: string, init: RequestInit | Request): Promise<{ body: string; init: RequestInit | undefined; usage: unknown }> {
  let body = "";
  const calls = upstream(async (input, got) => {
    body = got?.body !== undefined ? String(got.body) : await (input as Request).text();
    return usageStream();
  });
  const { invocation, steps } = traced({ injectStreamUsage });
  const response = init instanceof Request ? await invocation.fetch(init) : await invocation.fetch(url, init);
  await response.text();
  const { steps: [step] } = await steps();
  return { body, init: calls[0]![1], usage: step!.llm!.usage };
}

describe("injectStreamUsage", () => {
  it("off (the default): the request goes out unchanged, the very same init object", async () => {
    const init = { method: "POST", body: streamed };
    const result = await sent(false, CHAT, init);
    expect(result.init).toBe(init);
    expect(result.body).toBe(streamed);
  });

  it("on: a streamed OpenAI chat request without stream_options gets include_usage, every other byte kept", async () => {
    const init = { method: "POST", headers: { "content-type": "application/json" }, body: streamed };
    const result = await sent(true, CHAT, init);
    expect(result.body).toBe(streamed.replace(" }\n", ' ,"stream_options":{"include_usage":true}}\n'));
    expect(JSON.parse(result.body)).toEqual({ ...JSON.parse(streamed), stream_options: { include_usage: true } });
    expect(result.init).toEqual({ ...init, body: result.body });
    expect(init.body).toBe(streamed);
    expect(result.usage).toEqual({ inputTokens: 3, outputTokens: 1, totalTokens: 4 });
  });

  it("on: adds include_usage next to other stream options, and works for a Request", async () => {
    const body = JSON.stringify({ model: "m", stream: true, messages: [], stream_options: { include_obfuscation: false } });
    const request = new Request(CHAT, { method: "POST", headers: { authorization: "Bearer sk" }, body });
    const result = await sent(true, CHAT, request);
    expect(JSON.parse(result.body).stream_options).toEqual({ include_obfuscation: false, include_usage: true });
    expect(await request.text()).toBe(body);
  });

  it("on: leaves alone what it should not touch", async () => {
    const unchanged = async (url: string, body: object) => {
      const text = JSON.stringify(body);
      expect((await sent(true, url, jsonInit(body))).body).toBe(text);
    };
    await unchanged(CHAT, { model: "m", messages: [] });
    await unchanged(CHAT, { model: "m", stream: true, messages: [], stream_options: { include_usage: false } });
    await unchanged("https://api.mistral.ai/v1/chat/completions", { model: "m", stream: true, messages: [] });
    await unchanged("https://api.openai.com/v1/responses", { model: "m", stream: true, input: "x" });
    await unchanged("https://api.openai.com/v1/completions", { model: "m", stream: true, prompt: "x" });
  });
});
