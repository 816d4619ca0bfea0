// A loopback OTLP/HTTP receiver (POST /v1/traces, JSON or protobuf) that turns both encodings into the same
// plain spans, plus /echo, which records the headers it got: a downstream service for propagation tests.
import { createServer } from "node:http";
import { decodeOtlpTraces } from "./otlp-schema.mjs";

/** Unwraps an OTLP JSON AnyValue the way decodeOtlpTraces unwraps protobuf ones. */
function unwrap(value) {
  if ("stringValue" in value) return value.stringValue;
  if ("boolValue" in value) return value.boolValue;
  if ("intValue" in value) return Number(value.intValue);
  if ("doubleValue" in value) return value.doubleValue;
  if ("arrayValue" in value) return (value.arrayValue.values ?? []).map(unwrap);
  return null;
}

const attributes = (list = []) => Object.fromEntries(list.map(({ key, value }) => [key, unwrap(value)]));

function fromJson(body) {
  return body.resourceSpans.flatMap((rs) =>
    rs.scopeSpans.flatMap((ss) =>
      ss.spans.map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? "",
        traceState: span.traceState ?? "",
        name: span.name,
        kind: span.kind,
        startTimeUnixNano: span.startTimeUnixNano,
        endTimeUnixNano: span.endTimeUnixNano,
        attributes: attributes(span.attributes),
        status: { code: span.status?.code ?? 0, message: span.status?.message ?? "" },
        resource: attributes(rs.resource?.attributes),
        scope: ss.scope,
      })),
    ),
  );
}

/** @param {{ port?: number }} [options] */
export async function startMockOtlp(options = {}) {
  const state = { spans: [], requests: [], echoes: [] };
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    if (req.url === "/echo") {
      state.echoes.push({ headers: req.headers });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      return;
    }
    const type = req.headers["content-type"] ?? "";
    state.requests.push({ path: req.url, contentType: type, headers: req.headers });
    try {
      const spans = type.includes("json") ? fromJson(JSON.parse(body.toString("utf8"))) : decodeOtlpTraces(new Uint8Array(body));
      state.spans.push(...spans);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    } catch (error) {
      res.writeHead(400).end(String(error));
    }
  });
  await new Promise((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    ...state,
    async waitFor(predicate, timeoutMs = 10_000) {
      const started = Date.now();
      for (;;) {
        const value = predicate(state);
        if (value) return value;
        if (Date.now() - started > timeoutMs) throw new Error(`mock OTLP: timed out with ${state.spans.length} spans, ${state.requests.length} requests`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
