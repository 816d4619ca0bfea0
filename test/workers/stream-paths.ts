// A test Worker for the stream paths in workerd: `/proxy` returns the provider's stream as its response, traced
// (or `?untraced`); `/steps` answers what the flushes exported so far. Its header `x-byob` says whether the body it
// returned takes a BYOB reader: a native byte stream does, a JavaScript pull stream does not.
import { withTracer, type ExportBatch, type ExportedStep } from "edge-tracer";

interface Env { UPSTREAM_URL: string }

const exported: ExportedStep[] = [];
const memory = {
  name: "memory",
  async export(batch: ExportBatch) {
    exported.push(...batch.looseSteps, ...batch.logs.flatMap((log) => log.steps));
    return { sent: 1, retried: 0, dropped: 0, errors: [] };
  },
};

/** Whether `body` is a byte stream, as workerd's own (fetch bodies, native pipes) are. Leaves it unread. */
function takesByob(body: ReadableStream<Uint8Array>): boolean {
  try {
    (body.getReader as (options: { mode: "byob" }) => ReadableStreamBYOBReader).call(body, { mode: "byob" }).releaseLock();
    return true;
  } catch {
    return false;
  }
}

async function proxy(request: Request, env: Env, fetchFn: typeof fetch): Promise<Response> {
  const url = new URL(request.url);
  const upstream = await fetchFn(`${env.UPSTREAM_URL}/v1/chat/completions${url.search}`, {
    method: "POST",
    headers: { authorization: "Bearer sk-test", "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "Tell me a story" }] }),
  });
  return new Response(upstream.body, { headers: { "content-type": "text/event-stream", "x-byob": String(takesByob(upstream.body!)) } });
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/steps") return Response.json(exported);
    if (url.searchParams.has("untraced")) return proxy(request, env, (input, init) => fetch(input, init));
    const flushTimeoutMs = Number(url.searchParams.get("flushTimeoutMs") ?? 10_000);
    return withTracer(ctx, (t) => proxy(request, env, t.fetch), {
      exporters: [memory],
      providers: [{ baseUrl: env.UPSTREAM_URL, kind: "openai" }],
      flushTimeoutMs,
    });
  },
};
