// The OTLP/HTTP exporter: every span of an invocation to any OpenTelemetry backend (a Collector, Honeycomb,
// Grafana Tempo, Langfuse…), as JSON or protobuf, one request per flush, retried within the budget.
import { emptyResult, type Exporter } from "../model/exporter.js";
import { postWithRetry } from "./http.js";
import { encodeTracesJson } from "./otlp-json.js";
import { encodeTraces } from "./otlp-protobuf.js";
import { batchToSpans, resourceAttributes } from "./spans.js";

export interface OtlpExporterOptions {
  /** The traces endpoint, e.g. `http://localhost:4318/v1/traces` or `https://api.honeycomb.io/v1/traces`. */
  url: string;
  /** Sent with every request, e.g. `{ "x-honeycomb-team": env.HONEYCOMB_KEY }` or `{ authorization: "Basic …" }`. */
  headers?: Record<string, string>;
  /** Default `http/protobuf`, the OTLP/HTTP default. */
  protocol?: "http/json" | "http/protobuf";
}

/**
 * Sends spans over OTLP/HTTP. The root span (SERVER) carries the invocation's totals; blocks and logs are
 * INTERNAL spans; LLM calls are CLIENT spans with GenAI semantic-convention attributes (config `semconv`).
 *
 * @example
 * import { otlp } from "edge-tracer/otlp";
 * createTracer({ exporters: [otlp({ url: "https://api.honeycomb.io/v1/traces", headers: { "x-honeycomb-team": env.HONEYCOMB_KEY } })] });
 */
export function otlp(options: OtlpExporterOptions): Exporter {
  if (typeof options?.url !== "string" || !/^https?:\/\//.test(options.url)) {
    throw new TypeError(`edge-tracer: otlp(): \`url\` must be the http(s) URL of a traces endpoint, such as "http://localhost:4318/v1/traces"; got ${JSON.stringify(options?.url)}.`);
  }
  const json = options.protocol === "http/json";
  return {
    name: `otlp ${options.url}`,
    async export(batch, exportOptions) {
      const spans = batchToSpans(batch, exportOptions.semconv);
      if (!spans.length) return emptyResult();
      const resource = resourceAttributes(batch);
      return postWithRetry({
        destination: `otlp ${new URL(options.url).host}`,
        url: options.url,
        headers: { ...options.headers, "content-type": json ? "application/json" : "application/x-protobuf" },
        body: json ? encodeTracesJson(resource, spans) : encodeTraces(resource, spans),
        count: spans.length,
      }, exportOptions);
    },
  };
}
