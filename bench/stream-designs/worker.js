// The bench Worker of bench/stream-designs.mjs (bundled with esbuild, run by Miniflare). Routes:
//   /proxy?d=<design>&n=<events>   the Worker returns the (traced) upstream stream as its own response
//   /sdk?d=&n=[&break=k]            the openai SDK consumes the stream inside the Worker ([break out after k chunks])
//   /inner?d=&n=&after=k            the Worker reads the traced body itself, reader.cancel() mid-event after ≥ k chunks
//                                   (untilDone=1: right after it has read [DONE])
//   /count?d=&n=                    how many chunks a JS reader of the (traced) body gets for an n-event reply
//   /step?id=  /unhandled           the step recorded for request `id`; unhandled rejections seen so far
// d=plain is the untraced run. Query `delay` (ms between events), `cut` (upstream drops after k events), `split`
// (each event in two writes), `enddelay` (ms between [DONE] and the end of the body) and `id` go
// to the upstream, which reports per id whether it sent everything.
import OpenAI from "openai";
import { designs, newStep } from "./designs.js";

const steps = new Map();
const unhandled = [];
let keep = 0; // what the steps saw, so no work is optimised away
addEventListener("unhandledrejection", (event) => unhandled.push(String(event.reason)));

function upstreamInit(params, id) {
  const headers = { "content-type": "application/json", authorization: "Bearer sk-bench", "x-events": params.get("n") ?? "50" };
  if (params.get("delay")) headers["x-delay-ms"] = params.get("delay");
  if (params.get("cut")) headers["x-cut-after"] = params.get("cut");
  if (params.get("split")) headers["x-split"] = params.get("split");
  if (params.get("enddelay")) headers["x-end-delay-ms"] = params.get("enddelay");
  if (id) headers["x-id"] = id;
  return headers;
}

function fetchFor(design, ctx, id, noWait = false) {
  if (design === "plain") return (input, init) => fetch(input, init);
  const trace = designs[design];
  if (!trace) throw new Error(`no design ${design}`);
  return async (input, init) => {
    const step = newStep();
    if (id) steps.set(id, step);
    const response = await fetch(input, init);
    // nowait=1: the design's promises are not handed to ctx.waitUntil (to see what depends on it)
    const waitUntil = noWait ? () => {} : (p) => ctx.waitUntil(p);
    return trace(response, { step, signal: init?.signal ?? undefined, done: (s) => (keep += s.events + s.text.length), waitUntil });
  };
}

const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Words, please" }], stream: true });

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const params = url.searchParams;
    const id = params.get("id") ?? undefined;
    const design = params.get("d") ?? "plain";
    switch (url.pathname) {
      case "/step":
        return Response.json(steps.get(id) ?? null);
      case "/unhandled":
        return Response.json({ unhandled, keep });
      case "/count": {
        const response = await fetchFor(design, ctx, id)(`${env.UP}/v1/chat/completions`, { method: "POST", body, headers: upstreamInit(params) });
        const reader = response.body.getReader();
        let chunks = 0;
        while (!(await reader.read()).done) chunks++;
        return Response.json({ chunks });
      }
      case "/proxy":
        return fetchFor(design, ctx, id, params.get("nowait") === "1")(`${env.UP}/v1/chat/completions`, { method: "POST", body, headers: upstreamInit(params, id) });
      case "/inner": {
        const started = Date.now();
        const response = await fetchFor(design, ctx, id)(`${env.UP}/v1/chat/completions`, { method: "POST", body, headers: upstreamInit(params, id) });
        const reader = response.body.getReader();
        // Reads `after` chunks or more, and stops in the middle of an event; with `untilDone`, stops once it has read
        // [DONE] (before the body ends), as Mistral's SDK does.
        const after = Number(params.get("after") ?? 10);
        const untilDone = params.get("untilDone") === "1";
        const decoder = new TextDecoder();
        let bytes = 0;
        let text = "";
        let all = "";
        for (let i = 0; untilDone ? !all.includes("[DONE]") : i < after || text.endsWith("\n\n"); i++) {
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
          text = decoder.decode(value, { stream: true });
          if (untilDone) all += text;
        }
        const cancelMs = Date.now() - started;
        await reader.cancel(new Error("the consumer stopped reading"));
        return Response.json({ bytes, cancelMs });
      }
      case "/sdk": {
        const openai = new OpenAI({ apiKey: "sk-bench", baseURL: `${env.UP}/v1`, fetch: fetchFor(design, ctx, id), maxRetries: 0 });
        const headers = upstreamInit(params, id);
        delete headers["content-type"];
        delete headers.authorization;
        const start = Date.now();
        const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Words, please" }], stream: true }, { headers });
        const stopAfter = Number(params.get("break") ?? Infinity);
        let text = "";
        let chunks = 0;
        let firstToken;
        let tenthToken;
        let tokens = 0;
        for await (const chunk of stream) {
          const content = chunk.choices[0]?.delta?.content ?? "";
          if (content && ++tokens === 1) firstToken = Date.now() - start;
          if (content && tokens === 10) tenthToken = Date.now() - start;
          text += content;
          if (++chunks >= stopAfter) break;
        }
        // When the SDK saw the 1st and 10th tokens (workerd's clock moves with I/O: when those chunks arrived).
        return new Response(text, { headers: { "x-first-token-ms": String(firstToken), "x-tenth-token-ms": String(tenthToken) } });
      }
    }
    return new Response("not found", { status: 404 });
  },
};
