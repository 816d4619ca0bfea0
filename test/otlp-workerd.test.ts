// OTLP end to end in workerd: an incoming traceparent continued, the span tree (parents, kinds, names),
// current and legacy GenAI attributes, and our traceparent sent downstream but never to the LLM provider.
import { describe, expect, it } from "vitest";
import { startMockLlm } from "./mocks/mock-llm.mjs";
import { startMockOtlp } from "./mocks/mock-otlp.mjs";
import { startWorker } from "./support/workerd.js";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const CALLER_SPAN = "b7ad6b7169203331";

describe.each(["http/json", "http/protobuf"] as const)("OTLP over %s", (protocol) => {
  it("exports the invocation as one trace continuing the caller's", async () => {
    const llm = await startMockLlm();
    const collector = await startMockOtlp();
    const worker = await startWorker("test/workers/otlp-worker.ts", {
      compatibilityFlags: ["nodejs_als"],
      bindings: { MOCK_LLM_URL: llm.url, OTLP_URL: `${collector.url}/v1/traces`, OTLP_PROTOCOL: protocol, DOWNSTREAM_URL: collector.url },
    });
    try {
      const response = await worker.dispatchFetch("http://app.test/chat?q=color", { headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, tracestate: "vendor=1" } });
      expect(await response.text()).toBe("Teal");
      const spans = await collector.waitFor((s) => s.spans.length >= 4 && s.spans);
      expect(collector.requests).toHaveLength(1);
      expect(collector.requests[0]!.headers["x-api-key"]).toBe("otlp-test");

      const byName = (name: string) => spans.find((span) => span.name === name)!;
      const root = byName("GET /chat");
      const block = byName("answer");
      const llmSpan = byName("chat gpt-4o-mini");
      const logSpan = byName("log");
      expect(spans.every((span) => span.traceId === TRACE_ID)).toBe(true);
      expect(root).toMatchObject({ kind: 2, parentSpanId: CALLER_SPAN, traceState: "vendor=1" });
      expect(block).toMatchObject({ kind: 1, parentSpanId: root.spanId });
      expect(llmSpan).toMatchObject({ kind: 3, parentSpanId: block.spanId });
      expect(logSpan).toMatchObject({ kind: 1, parentSpanId: block.spanId });
      expect(root.resource).toMatchObject({ "service.name": "otlp-test-worker", "cloud.provider": "cloudflare", "process.runtime.name": "workerd" });
      expect(root.attributes).toMatchObject({ "edge_tracer.invocation.llm_calls": 1, "edge_tracer.invocation.input_tokens": 3 });
      // Current and legacy GenAI names side by side (semconv: "both").
      expect(llmSpan.attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.request.temperature": 0.3,
        "gen_ai.usage.input_tokens": 3,
        "gen_ai.usage.output_tokens": 1,
        "gen_ai.system": "openai",
        "gen_ai.usage.prompt_tokens": 3,
        "gen_ai.prompt.0.content": "Say a color",
        "gen_ai.completion.0.content": "Teal",
        "server.address": "127.0.0.1",
      });
      expect(JSON.parse(String(llmSpan.attributes["gen_ai.input.messages"]))).toEqual([{ role: "user", content: "Say a color" }]);

      // Downstream joined the trace as a child of the block; the LLM provider got no trace header.
      expect(collector.echoes[0]!.headers.traceparent).toBe(`00-${TRACE_ID}-${block.spanId}-01`);
      expect(collector.echoes[0]!.headers.tracestate).toBe("vendor=1");
      expect(llm.requests[0]!.headers.traceparent).toBeUndefined();
    } finally {
      await worker.dispose();
      await Promise.all([llm.close(), collector.close()]);
    }
  });
});
