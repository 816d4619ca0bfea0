// The non-streamed chat call of the benches: a 1.5 KB request (what the handler sends) and a 1.5 KB completion (what
// bench/upstream.mjs answers). Plain JS, bundled into the Worker too.
export const filler = (n) => "The otter floats on a quiet river and holds hands with a friend. ".repeat(Math.ceil(n / 64)).slice(0, n);
export const chatMessages = [{ role: "system", content: filler(680) }, { role: "user", content: filler(680) }];
export const completion = {
  id: "chatcmpl-bench", object: "chat.completion", created: 1, model: "gpt-4o-mini-2024-07-18", system_fingerprint: "fp_bench",
  choices: [{ index: 0, message: { role: "assistant", content: `Echo: ${filler(1200)}`, refusal: null }, logprobs: null, finish_reason: "stop" }],
  usage: { prompt_tokens: 250, completion_tokens: 300, total_tokens: 550 },
};
