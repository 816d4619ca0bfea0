// Every way a call can fail: the caller sees exactly what it would see without us, and the step says what happened.
import { afterEach, describe, expect, it, vi } from "vitest";
import { event, jsonInit, sse, traced, upstream } from "../../test/support/upstream.js";

afterEach(() => vi.restoreAllMocks());

const CHAT = "https://api.openai.com/v1/chat/completions";
const RESPONSES = "https://api.openai.com/v1/responses";
const delta = (content: string) => event({ id: "c1", model: "m", choices: [{ index: 0, delta: { content } }] });
const encoder = new TextEncoder();

/** An SSE body that errors with the signal's reason when it aborts, as fetch implementations do. */
function abortableStream(signal: AbortSignal, first: string): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(first));
      signal.addEventListener("abort", () => controller.error(signal.reason));
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

describe("HTTP errors", () => {
  it("records status and the provider's error type, code and message; the caller gets the same Response", async () => {
    const reply = Response.json({ error: { message: "Incorrect API key provided", type: "invalid_request_error", param: null, code: "invalid_api_key" } }, { status: 401 });
    upstream(() => reply);
    const { invocation, steps } = traced();
    expect(await invocation.fetch(RESPONSES, jsonInit({ model: "m", input: "hi" }))).toBe(reply);
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "error", error: { type: "invalid_request_error", message: "Incorrect API key provided" } });
    expect(step!.llm).toMatchObject({ httpStatus: 401, errorCode: "invalid_api_key" });
  });

  it("reads Mistral's error shape, including validation details", async () => {
    upstream(() => Response.json({ object: "error", message: { detail: [{ loc: ["body", "model"], msg: "Field required" }] }, type: "invalid_request_message_error", code: 3051 }, { status: 422 }));
    const { invocation, steps } = traced();
    await invocation.fetch("https://api.mistral.ai/v1/fim/completions", jsonInit({ prompt: "x" }));
    const { steps: [step] } = await steps();
    expect(step!.error).toEqual({ type: "invalid_request_message_error", message: '{"detail":[{"loc":["body","model"],"msg":"Field required"}]}' });
    expect(step!.llm!.errorCode).toBe("3051");
  });

  it("bounds the error message by maxFieldBytes and marks the cut", async () => {
    const long = "x".repeat(1000);
    upstream(() => Response.json({ error: { message: long, type: "server_error" } }, { status: 500 }));
    const { invocation, steps } = traced({ maxFieldBytes: 256 });
    await invocation.fetch(CHAT, jsonInit({ model: "m", messages: [] }));
    const { steps: [step] } = await steps();
    // Cut short enough that the mark fits in the bound too, and names the original length.
    expect(step!.error!.message).toMatch(new RegExp(`^x{150,256}…\\[truncated by edge-tracer: ${long.length} bytes originally\\]$`));
    expect(new TextEncoder().encode(step!.error!.message).length).toBeLessThanOrEqual(256);
  });

  it("keeps about 1 KB of a long error message, whatever maxFieldBytes allows", async () => {
    const long = "y".repeat(10_000);
    upstream(() => Response.json({ error: { message: long, type: "server_error" } }, { status: 500 }));
    const { invocation, steps } = traced();
    await invocation.fetch(CHAT, jsonInit({ model: "m", messages: [] }));
    const { steps: [step] } = await steps();
    expect(step!.error!.message).toMatch(new RegExp(`^y{900,1024}…\\[truncated by edge-tracer: ${long.length} bytes originally\\]$`));
    expect(new TextEncoder().encode(step!.error!.message).length).toBeLessThanOrEqual(1024);
  });

  it("a gateway's HTML page: its title is the message; the caller still gets the page", async () => {
    const page = `<!DOCTYPE html><html><head><title>api.openai.com | 502: Bad gateway</title><style>body{color:red}</style>
      <script>window.cf = {};</script></head><body>${"<p>padding</p>".repeat(500)}</body></html>`;
    upstream(() => new Response(page, { status: 502, statusText: "Bad Gateway", headers: { "content-type": "text/html" } }));
    const { invocation, steps } = traced();
    const response = await invocation.fetch(CHAT, jsonInit({ model: "m", messages: [] }));
    expect(await response.text()).toBe(page);
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "error", error: { type: "non_json_body", message: "api.openai.com | 502: Bad gateway" }, llm: { httpStatus: 502 } });
  });

  it("an HTML page without a title: its visible text, without scripts and styles, whitespace collapsed, about 1 KB", async () => {
    const page = `<html><head><style>h1 { font: 2em serif }</style></head><body>
      <h1>502   Bad&nbsp;Gateway</h1><script type="text/javascript">var secret = "never shown";</script>
      <!-- upstream: 10.0.0.1 --><p>nginx &amp; friends</p>${"<p>padding</p>".repeat(500)}</body></html>`;
    upstream(() => new Response(page, { status: 502, statusText: "Bad Gateway", headers: { "content-type": "text/html" } }));
    const { invocation, steps } = traced();
    await invocation.fetch(CHAT, jsonInit({ model: "m", messages: [] }));
    const { steps: [step] } = await steps();
    const message = step!.error!.message;
    expect(message).toMatch(/^502 Bad Gateway nginx & friends padding padding .*…\[truncated by edge-tracer: \d+ bytes originally\]$/);
    expect(message).not.toMatch(/secret|font|10\.0\.0\.1|</);
    expect(new TextEncoder().encode(message).length).toBeLessThanOrEqual(1024);
  });

  it("a plain-text body is kept as text, about 1 KB", async () => {
    const text = `upstream connect error or disconnect/reset before headers. ${"z".repeat(5000)}`;
    upstream(() => new Response(text, { status: 503, headers: { "content-type": "text/plain" } }));
    const { invocation, steps } = traced();
    await invocation.fetch(CHAT, jsonInit({ model: "m", messages: [] }));
    const { steps: [step] } = await steps();
    expect(step!.error).toMatchObject({ type: "non_json_body", message: expect.stringMatching(/^upstream connect error .*…\[truncated by edge-tracer: 5059 bytes originally\]$/) });
    expect(new TextEncoder().encode(step!.error!.message).length).toBeLessThanOrEqual(1024);
  });

  it("an HTML page with nothing to read falls back to the status", async () => {
    upstream(() => new Response("<html><body>  </body></html>", { status: 504, statusText: "Gateway Timeout" }));
    const { invocation, steps } = traced();
    await invocation.fetch(CHAT, jsonInit({ model: "m", messages: [] }));
    const { steps: [step] } = await steps();
    expect(step!.error).toEqual({ type: "504", message: "Gateway Timeout" });
  });

  it("records a generic call's error status without reading its body", async () => {
    const reply = new Response("no such file", { status: 404, statusText: "Not Found" });
    upstream(() => reply);
    const { invocation, steps } = traced();
    await invocation.fetch("https://api.openai.com/v1/files/file-1", { method: "DELETE" });
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ name: "DELETE /v1/files/file-1", status: "error", error: { type: "404", message: "Not Found" } });
    expect(reply.bodyUsed).toBe(false);
  });
});

describe("network errors and aborts", () => {
  it("rethrows a network error as the same object; the step ends in error", async () => {
    const down = new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") });
    vi.spyOn(globalThis, "fetch").mockRejectedValue(down);
    const { invocation, steps } = traced();
    await expect(invocation.fetch(RESPONSES, jsonInit({ model: "m", input: "hi" }))).rejects.toBe(down);
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "error", error: { type: "TypeError", message: "fetch failed" }, llm: { requestModel: "m" } });
  });

  it("an abort before the reply: the same AbortError reaches the caller, the step is cancelled", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation((_input, init) => Promise.reject(init!.signal!.reason));
    const { invocation, steps } = traced();
    const controller = new AbortController();
    controller.abort();
    await expect(invocation.fetch(CHAT, jsonInit({ model: "m", messages: [] }, { signal: controller.signal }))).rejects.toBe(controller.signal.reason);
    const { steps: [step] } = await steps();
    expect(step!.status).toBe("cancelled");
  });

  it("an abort during a stream the caller is reading: its read rejects with the same error, the step is cancelled with what arrived", async () => {
    upstream((_input, init) => abortableStream(init!.signal!, delta("partial")));
    const { invocation, steps } = traced();
    const controller = new AbortController();
    const reader = (await invocation.fetch(CHAT, jsonInit({ model: "m", stream: true, messages: [] }, { signal: controller.signal }))).body!.getReader();
    await reader.read();
    const pending = reader.read();
    controller.abort();
    await expect(pending).rejects.toBe(controller.signal.reason);
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "cancelled", outputText: "partial", error: { type: "AbortError" } });
  });

  it("an abort during a stream nobody reads any more: the step is cancelled at once, not left open until the flush deadline", async () => {
    upstream((_input, init) => abortableStream(init!.signal!, delta("partial")));
    const { invocation, steps } = traced({ flushTimeoutMs: 60_000 });
    const controller = new AbortController();
    const reader = (await invocation.fetch(CHAT, jsonInit({ model: "m", stream: true, messages: [] }, { signal: controller.signal }))).body!.getReader();
    await reader.read();
    controller.abort();
    const started = Date.now();
    const { steps: [step] } = await steps();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(step).toMatchObject({ status: "cancelled", outputText: "partial" });
  });

  it("an abort while the caller reads a non-streamed body: the step is cancelled", async () => {
    upstream((_input, init) => {
      const body = new ReadableStream({ start: (c) => init!.signal!.addEventListener("abort", () => c.error(init!.signal!.reason)) });
      return new Response(body, { headers: { "content-type": "application/json" } });
    });
    const { invocation, steps } = traced();
    const controller = new AbortController();
    const response = await invocation.fetch(CHAT, jsonInit({ model: "m", messages: [] }, { signal: controller.signal }));
    const reading = response.json();
    controller.abort();
    await expect(reading).rejects.toBe(controller.signal.reason);
    const { steps: [step] } = await steps();
    expect(step!.status).toBe("cancelled");
  });

  it("the consumer cancelling a Responses stream: cancelled, keeping the text that arrived", async () => {
    upstream(() => sse([
      event({ type: "response.output_text.delta", output_index: 0, delta: "Once upon" }, "response.output_text.delta"),
      event({ type: "response.output_text.delta", output_index: 0, delta: " a time" }, "response.output_text.delta"),
    ]));
    const { invocation, steps } = traced();
    const reader = (await invocation.fetch(RESPONSES, jsonInit({ model: "m", input: "story", stream: true }))).body!.getReader();
    await reader.read();
    await reader.cancel();
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "cancelled", outputText: "Once upon" });
  });
});

describe("errors inside a stream", () => {
  it("a chat chunk carrying an error: the caller gets the bytes, the step ends in error with the provider's words", async () => {
    const pieces = [delta("half"), `data: ${JSON.stringify({ error: { message: "The server had an error", type: "server_error", code: null } })}\n\n`];
    upstream(() => sse(pieces));
    const { invocation, steps } = traced();
    expect(await (await invocation.fetch(CHAT, jsonInit({ model: "m", stream: true, messages: [] }))).text()).toBe(pieces.join(""));
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "error", outputText: "half", error: { type: "server_error", message: "The server had an error" } });
  });

  it("a Responses `error` event or `response.failed`: the step ends in error with the code", async () => {
    upstream(() => sse([event({ type: "error", code: "rate_limit_exceeded", message: "Slow down", param: null, sequence_number: 3 }, "error")]));
    const { invocation, steps } = traced();
    await (await invocation.fetch(RESPONSES, jsonInit({ model: "m", input: "x", stream: true }))).text();
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "error", error: { type: "error", message: "Slow down" }, llm: { errorCode: "rate_limit_exceeded" } });

    upstream(() => sse([event({ type: "response.failed", response: { id: "r", status: "failed", error: { code: "server_error", message: "Boom" } } }, "response.failed")]));
    const second = traced();
    await (await second.invocation.fetch(RESPONSES, jsonInit({ model: "m", input: "x", stream: true }))).text();
    const { steps: [failed] } = await second.steps();
    expect(failed).toMatchObject({ status: "error", error: { type: "server_error", message: "Boom" }, llm: { choices: [{ finishReason: "failed" }] } });
  });

  it("an error event's message is kept to about 1 KB too", async () => {
    const long = "w".repeat(8000);
    upstream(() => sse([delta("half"), `data: ${JSON.stringify({ error: { message: long, type: "server_error" } })}\n\n`]));
    const { invocation, steps } = traced();
    await (await invocation.fetch(CHAT, jsonInit({ model: "m", stream: true, messages: [] }))).text();
    const { steps: [step] } = await steps();
    expect(step!.error!.message).toMatch(new RegExp(`^w{900,1024}…\\[truncated by edge-tracer: ${long.length} bytes originally\\]$`));
    expect(new TextEncoder().encode(step!.error!.message).length).toBeLessThanOrEqual(1024);
  });
});

describe("what cannot be parsed", () => {
  it("invalid UTF-8 in a stream never throws: the caller gets the bytes as they came, the step the text with U+FFFD", async () => {
    const head = encoder.encode('data: {"choices":[{"index":0,"delta":{"content":"a');
    const tail = encoder.encode('b"}}]}\n\ndata: [DONE]\n\n');
    const bytes = new Uint8Array([...head, 0xff, 0xc3, ...tail]);
    upstream(() => sse([bytes.subarray(0, head.length + 1), bytes.subarray(head.length + 1)]));
    const { invocation, steps } = traced();
    const received = new Uint8Array(await (await invocation.fetch(CHAT, jsonInit({ model: "m", stream: true, messages: [] }))).arrayBuffer());
    expect(received).toEqual(bytes);
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "ok", outputText: "a\uFFFD\uFFFDb" });
    expect(step!.llm!.parseProblem).toBeUndefined();
  });

  it("a stream that stops without its end marker is kept, and noted as possibly cut", async () => {
    upstream(() => sse([delta("Once")]));
    const { invocation, steps } = traced();
    await (await invocation.fetch(CHAT, jsonInit({ model: "m", stream: true, messages: [] }))).text();
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "ok", outputText: "Once" });
    expect(step!.llm!.parseProblem).toMatch(/ended without its end marker/);
  });

  it("a request body that is not JSON still goes out unchanged; the step notes it", async () => {
    const calls = upstream(() => Response.json({ choices: [] }));
    const { invocation, steps } = traced();
    await invocation.fetch(CHAT, { method: "POST", body: "{oops" });
    expect(calls[0]![1]!.body).toBe("{oops");
    const { steps: [step] } = await steps();
    expect(step!.llm!.parseProblem).toBe("the request body is not JSON");
  });

  it("an embeddings reply that is not JSON: the step notes it", async () => {
    upstream(() => new Response("<html>maintenance</html>", { status: 200 }));
    const { invocation, steps } = traced();
    await invocation.fetch("https://api.openai.com/v1/embeddings", jsonInit({ model: "m", input: "x" }));
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "ok", llm: { embeddings: { inputs: 1 }, parseProblem: "the response is not JSON: <html>maintenance</html>" } });
  });
});

describe("off the critical path", () => {
  it("hands the caller a non-streamed response before its body has arrived", async () => {
    let finish!: () => void;
    upstream(() => new Response(new ReadableStream({
      start(controller) {
        controller.enqueue(encoder.encode('{"choices":[{"index":0,"message":{"content":"late"}}]'));
        finish = () => (controller.enqueue(encoder.encode("}")), controller.close());
      },
    }), { headers: { "content-type": "application/json" } }));
    const { invocation, steps } = traced();
    const response = await invocation.fetch(CHAT, jsonInit({ model: "m", messages: [] }));
    expect(response.status).toBe(200);
    finish();
    expect(await response.json()).toEqual({ choices: [{ index: 0, message: { content: "late" } }] });
    const { steps: [step] } = await steps();
    expect(step).toMatchObject({ status: "ok", outputText: "late" });
  });
});
