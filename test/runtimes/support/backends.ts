// The loopback mocks every runtime target talks to, and the one check of what the scenario exported.
import { expect } from "vitest";
import { startMockLlm, type MockLlm } from "../../mocks/mock-llm.mjs";
import { startMockPhospho, type MockPhospho } from "../../mocks/mock-phospho.mjs";
import type { Routes } from "./routes.js";

/** What each example reads from its platform's env. */
export const SECRETS = {
  OPENAI_API_KEY: "sk-matrix-openai",
  MISTRAL_API_KEY: "matrix-mistral",
  PHOSPHO_API_KEY: "phospho-matrix",
  PHOSPHO_PROJECT_ID: "proj_matrix",
};

export const QUESTION = "Tell me a story about an otter.";
/** The mock's streamed answer to anything that asks for a story. */
export const STORY = "Once upon a time, a teal otter floated on a quiet river, holding hands with a friend so neither would drift away. The end.";

export interface Backends {
  llm: MockLlm;
  phospho: MockPhospho;
  /** The real hosts the examples call, sent to the mocks. */
  routes: Routes;
  close(): Promise<void>;
}

/** Starts the mocks. phospho replies after `phosphoDelayMs`, so a test can tell whether the response waited for the export. */
export async function startBackends(phosphoDelayMs = 0): Promise<Backends> {
  const llm = await startMockLlm();
  const phospho = await startMockPhospho({ apiKey: SECRETS.PHOSPHO_API_KEY, projectId: SECRETS.PHOSPHO_PROJECT_ID, delayMs: phosphoDelayMs });
  return {
    llm,
    phospho,
    routes: [
      ["https://api.openai.com/", `${llm.url}/openai/`],
      ["https://api.mistral.ai/", `${llm.url}/mistral/`],
      ["https://api.phospho.ai/", `${phospho.url}/`],
    ],
    close: async () => void (await Promise.all([llm.close(), phospho.close()])),
  };
}

/** The request every target sends: a question and a session id the scope carries to every log. */
export function scenarioRequest(sessionId: string): [string, { method: string; headers: Record<string, string>; body: string }] {
  return ["https://app.example/api/story", { method: "POST", headers: { "x-session-id": sessionId }, body: QUESTION }];
}

/**
 * What phospho must have received from one run of the scenario: one log (question, streamed story, the scope's
 * session) and three spans carrying its task id: the OpenAI call, the streamed Mistral call, the manual step.
 */
export async function expectScenarioExported(backends: Backends, sessionId: string): Promise<void> {
  const { phospho, llm } = backends;
  const spans = await phospho.waitFor((s) => s.logs.length >= 1 && s.spans.length >= 3 && s.spans);
  expect(phospho.errors).toEqual([]);
  expect(phospho.logs).toHaveLength(1);
  const log = phospho.logs[0]!;
  expect(log).toMatchObject({ input: QUESTION, output: STORY, session_id: sessionId });
  expect(log.task_id).toMatch(/^task_[0-9a-f]{32}$/);

  // Every span names the log's task and session, and they share one trace.
  for (const span of spans) {
    expect(span.attributes["phospho.task_id"], span.name).toBe(log.task_id);
    expect(span.attributes["phospho.session_id"], span.name).toBe(sessionId);
  }
  expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
  const llmSpans = spans.filter((span) => span.attributes["gen_ai.system"]);
  expect(llmSpans.map((span) => span.attributes["gen_ai.system"])).toEqual(["openai", "mistral_ai"]);
  expect(llmSpans[0]!.attributes).toMatchObject({
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.prompt.0.content": "Say a color",
    "gen_ai.completion.0.content": "Teal",
  });
  expect(llmSpans[1]!.attributes).toMatchObject({
    "gen_ai.request.stream": true,
    "gen_ai.prompt.0.content": `${QUESTION} Make it Teal.`,
    "gen_ai.completion.0.content": STORY,
  });
  expect(spans.find((span) => span.attributes["gen_ai.name"] === "compose prompt")?.attributes).toMatchObject({
    "gen_ai.input": QUESTION,
    "gen_ai.output": `${QUESTION} Make it Teal.`,
  });
  // The keys went to the providers and to phospho, never into a trace.
  expect(llm.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${SECRETS.OPENAI_API_KEY}`, `Bearer ${SECRETS.MISTRAL_API_KEY}`]);
  expect(JSON.stringify([phospho.logs, phospho.spans])).not.toMatch(/sk-matrix|matrix-mistral|phospho-matrix/);
}

/** One request per phospho destination (logs, steps), each answered. */
export function exportFinishedTimes(backends: Backends): number[] {
  const { requests } = backends.phospho;
  expect(requests.map((request) => [request.path, request.status])).toEqual(
    expect.arrayContaining([[`/v2/log/${SECRETS.PHOSPHO_PROJECT_ID}`, 200], [`/v3/otl/${SECRETS.PHOSPHO_PROJECT_ID}`, 200]]),
  );
  expect(requests).toHaveLength(2);
  return requests.map((request) => request.finishedAt!);
}
