// Helpers for the traced-fetch unit tests: a stand-in for the upstream API (the global fetch), an invocation
// whose exported steps can be read back, and SSE bodies served in chosen pieces.
import { vi } from "vitest";
import { createTracer, type ExportedStep, type TracerConfig } from "../../src/index.js";
import { memoryExporter } from "./memory-exporter.js";

/** Replaces the global fetch with `respond`, recording the arguments it got. Restore with `vi.restoreAllMocks()`. */
export function upstream(respond: (input: RequestInfo | URL, init?: RequestInit) => Response | Promise<Response>) {
  const calls: [RequestInfo | URL, RequestInit | undefined][] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    calls.push([input, init]);
    return respond(input, init);
  });
  return calls;
}

/** An invocation with a memory exporter; `steps()` flushes it and returns what was exported. */
export function traced(config: TracerConfig = {}) {
  const memory = memoryExporter();
  const invocation = createTracer({ exporters: [memory], ...config }).startInvocation();
  const steps = async (): Promise<{ steps: ExportedStep[]; exported: string }> => {
    await invocation.flush();
    const batch = memory.batches[0] ?? { looseSteps: [], logs: [] };
    return { steps: [...batch.looseSteps, ...batch.logs.flatMap((log) => log.steps)], exported: JSON.stringify(batch) };
  };
  return { invocation, steps };
}

/** A POST with a JSON body and secret headers, as the openai SDK sends it. */
export const jsonInit = (body: object, extra: RequestInit = {}): RequestInit => ({
  method: "POST",
  headers: { authorization: "Bearer sk-SECRET-never-exported", "api-key": "sk-SECRET-never-exported", "content-type": "application/json" },
  body: JSON.stringify(body),
  ...extra,
});

/** An SSE body served in the given pieces, then closed (or errored with `error`). */
export function sse(pieces: (string | Uint8Array)[], error?: Error): Response {
  const encoder = new TextEncoder();
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < pieces.length) {
        const piece = pieces[i++]!;
        controller.enqueue(typeof piece === "string" ? encoder.encode(piece) : piece);
      } else if (error) controller.error(error);
      else controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** `data: {json}\n\n`, with an optional `event:` line. */
export const event = (data: object, name?: string) => `${name ? `event: ${name}\n` : ""}data: ${JSON.stringify(data)}\n\n`;
