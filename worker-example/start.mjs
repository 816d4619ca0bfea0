// `npm start`: the mock LLM server on :8790, then the example Worker in workerd (wrangler dev, offline) on :8787.
import { spawn } from "node:child_process";
import { startMockLlm } from "../test/mocks/mock-llm.mjs";

const mock = await startMockLlm({ port: 8790, chunkDelayMs: 40, quiet: true });
console.log(`mock LLM (OpenAI + Mistral dialects) on ${mock.url}`);
console.log('when the Worker is ready, try:  curl "http://127.0.0.1:8787/?q=Tell+me+a+story"\n');

const wrangler = spawn("npx", ["wrangler", "dev", "--local", "--ip", "127.0.0.1", "--port", "8787", ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
});
const stop = () => wrangler.kill("SIGINT");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", async (code) => {
  await mock.close();
  process.exit(code ?? 0);
});
