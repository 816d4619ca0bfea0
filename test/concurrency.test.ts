// Interleaved invocations in one workerd isolate, with random upstream delays and streams: every exported
// log carries exactly its own steps, with and without AsyncLocalStorage; 1,000 at once with it.
import { describe, expect, it } from "vitest";
import { startMockLlm } from "./mocks/mock-llm.mjs";
import { startMockPhospho } from "./mocks/mock-phospho.mjs";
import { startWorker } from "./support/workerd.js";

const variants = [
  { name: "explicit handle, no AsyncLocalStorage", entry: "test/workers/pipeline-explicit.ts", flags: [], INVOCATIONS: 100 },
  { name: "module-level API with AsyncLocalStorage", entry: "test/workers/pipeline-ambient.ts", flags: ["nodejs_als"], INVOCATIONS: 1_000 },
];

describe.each(variants)("$name", ({ entry, flags, INVOCATIONS }) => {
  it(`keeps ${INVOCATIONS} interleaved invocations apart`, async () => {
    const llm = await startMockLlm({ delayMs: () => Math.random() * 60, chunkDelayMs: 3 });
    const phospho = await startMockPhospho({ apiKey: "phospho-key", projectId: "proj", delayMs: 0 });
    const worker = await startWorker(entry, {
      compatibilityFlags: flags,
      bindings: { MOCK_LLM_URL: llm.url, PHOSPHO_API_KEY: "phospho-key", PHOSPHO_PROJECT_ID: "proj", PHOSPHO_BASE_URL: phospho.url },
    });
    try {
      const questions = Array.from({ length: INVOCATIONS }, (_, i) => `q${i}x${Math.random().toString(36).slice(2, 8)}`);
      const answers = await Promise.all(
        questions.map(async (q) => (await worker.dispatchFetch(`http://pipeline.test/?q=${q}`)).text()),
      );
      questions.forEach((q, i) => expect(answers[i]).toBe(`Echo: ${q} first|Echo: ${q} second`));

      await phospho.waitFor((s) => s.logs.length === INVOCATIONS && s.spans.length === 2 * INVOCATIONS, 60_000);
      expect(phospho.errors).toEqual([]);
      expect(new Set(phospho.logs.map((log) => log.input))).toEqual(new Set(questions));
      const traceIds = new Set<string>();
      for (const log of phospho.logs) {
        const q = log.input as string;
        expect(log.session_id).toBe(`session-${q}`);
        expect(log.metadata).toMatchObject({ q });
        // No output given: the log takes its last LLM step's text, the streamed one.
        expect(log.output).toBe(`Echo: ${q} second`);
        const own = phospho.spans.filter((span) => span.attributes["phospho.task_id"] === log.task_id);
        expect(own.map((span) => span.attributes["gen_ai.prompt.0.content"]).sort()).toEqual([`${q} first`, `${q} second`]);
        expect(own.map((span) => span.attributes["gen_ai.completion.0.content"]).sort()).toEqual([`Echo: ${q} first`, `Echo: ${q} second`]);
        expect(new Set(own.map((span) => span.traceId)).size).toBe(1);
        traceIds.add(own[0]!.traceId);
      }
      expect(traceIds.size).toBe(INVOCATIONS);
      // One request per destination per invocation.
      expect(phospho.requests).toHaveLength(2 * INVOCATIONS);
    } finally {
      await worker.dispose();
      await Promise.all([llm.close(), phospho.close()]);
    }
  });
});
