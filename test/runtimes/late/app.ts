// The patterns users write where LLM calls start after the handler returned (lazy streams), and handles used
// destructured. One app, run as written in workerd, Vercel's Edge Runtime and Deno by late-calls.test.ts.
import { createOpenAI } from "@ai-sdk/openai";
import { streamText } from "ai";
import OpenAI from "openai";
import { PROMPT } from "./prompt.js";
import { instrument, log, tracedFetch, withTracer, type AsyncLocalStorageClass, type ExecutionContextLike, type TracerConfig } from "edge-tracer";

export interface Env { OPENAI_API_KEY?: string; PHOSPHO_API_KEY?: string; PHOSPHO_PROJECT_ID?: string }

const encoder = new TextEncoder();

const configOf = (env: Env, asyncLocalStorage?: AsyncLocalStorageClass): TracerConfig => ({
  apiKey: env.PHOSPHO_API_KEY,
  projectId: env.PHOSPHO_PROJECT_ID,
  asyncLocalStorage,
});

type Route = (request: Request, env: Env, ctx: ExecutionContextLike | null, als?: AsyncLocalStorageClass) => Promise<Response>;

const routes: Record<string, Route> = {
  // The Vercel AI SDK: streamText calls the model only when the response body is pulled.
  "/ai-sdk": (_request, env, ctx, als) =>
    withTracer(ctx, async (t) => {
      const result = streamText({ model: createOpenAI({ apiKey: env.OPENAI_API_KEY, fetch: t.fetch })("gpt-4o-mini"), prompt: PROMPT });
      t.log({ input: PROMPT });
      return result.toTextStreamResponse();
    }, configOf(env, als)),

  // An openai SDK stream started on the first pull of the ReadableStream the handler returns.
  "/sdk-in-stream": (_request, env, ctx, als) =>
    withTracer(ctx, async (t) => {
      const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY, fetch: t.fetch });
      t.log({ input: PROMPT });
      let chunks: AsyncIterator<OpenAI.Chat.Completions.ChatCompletionChunk> | undefined;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            chunks ??= (await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: PROMPT }], stream: true }))[Symbol.asyncIterator]();
            const { value, done } = await chunks.next();
            if (done) controller.close();
            else controller.enqueue(encoder.encode(value.choices[0]?.delta.content ?? ""));
          },
        }),
      );
    }, configOf(env, als)),

  // Every member of a handle, destructured: the invocation's and a tracer() block's.
  "/destructured": (_request, env, ctx, als) =>
    withTracer(ctx, async ({ fetch, log, tracer, trace, step }) => {
      const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY, fetch });
      const color = await step("pick a color", async () => {
        const reply = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say a color" }] });
        return reply.choices[0]?.message.content ?? "";
      }, { input: "Say a color" });
      const tell = trace({ metadata: { teller: "otter" } })(async (question: string) =>
        tracer({ session_id: "session-destructured" }, async ({ fetch: scopedFetch, log: scopedLog, step: scopedStep }) => {
          const scoped = new OpenAI({ apiKey: env.OPENAI_API_KEY, fetch: scopedFetch });
          const prompt = await scopedStep("compose", () => `${question} Make it ${color}.`);
          const story = await scoped.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: prompt }] });
          const text = story.choices[0]?.message.content ?? "";
          scopedLog({ input: question, output: text });
          return text;
        }),
      );
      const text = await tell(PROMPT);
      log({ input: "follow-up", output: "done" });
      return new Response(text);
    }, configOf(env, als)),
};

// instrument + the module-level API (needs AsyncLocalStorage): the same lazy AI SDK stream, found implicitly.
const instrumented = new WeakMap<AsyncLocalStorageClass, { fetch: (request: Request, env: Env, ctx: unknown) => Promise<Response> }>();
function instrumentedApp(als: AsyncLocalStorageClass) {
  let app = instrumented.get(als);
  if (!app) {
    app = instrument({
      async fetch(_request: Request, env: Env) {
        const result = streamText({ model: createOpenAI({ apiKey: env.OPENAI_API_KEY, fetch: tracedFetch })("gpt-4o-mini"), prompt: PROMPT });
        log({ input: PROMPT });
        return result.toTextStreamResponse();
      },
    }, (env: Env) => configOf(env, als));
    instrumented.set(als, app);
  }
  return app;
}

/** Routes by path; `/instrument` needs an AsyncLocalStorage class. */
export function handle(request: Request, env: Env, ctx: ExecutionContextLike | null, als?: AsyncLocalStorageClass): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path === "/instrument") {
    if (!als) return Promise.resolve(new Response("needs AsyncLocalStorage", { status: 501 }));
    return instrumentedApp(als).fetch(request, env, ctx ?? {});
  }
  const route = routes[path];
  return route ? route(request, env, ctx, als) : Promise.resolve(new Response("not found", { status: 404 }));
}
