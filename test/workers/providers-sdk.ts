// A test Worker that makes one SDK call per request through a traced fetch, then answers with what the SDK gave
// the caller and the steps that were recorded. The official openai and Mistral SDKs and the Vercel AI SDK call the
// real host names (api.openai.com, api.mistral.ai, *.openai.azure.com, a declared gateway); the test's outboundService
// answers them from the loopback mock.
import { createOpenAI } from "@ai-sdk/openai";
import { Mistral } from "@mistralai/mistralai";
import { HTTPClient } from "@mistralai/mistralai/lib/http.js";
import { generateText, jsonSchema, streamText, tool } from "ai";
import OpenAI, { AzureOpenAI } from "openai";
import { createTracer, type ExportBatch, type ExportedStep } from "edge-tracer";

const GATEWAY = "https://gateway.example/openai";

interface Clients {
  openai: OpenAI;
  azure: AzureOpenAI;
  mistral: Mistral;
  gateway: ReturnType<typeof createOpenAI>;
  undeclared: OpenAI;
  /** The mock itself on loopback, declared in `providers`: what workerd's own fetch sees, connection drops included. */
  direct: OpenAI;
  fault?: string;
}

const weatherTool = { type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } };
const user = (content: string) => [{ role: "user" as const, content }];

/** Each scenario returns what its caller saw, so the test can check the SDK got the upstream answer unchanged. */
const scenarios: Record<string, (c: Clients) => Promise<unknown>> = {
  async "openai-chat-tools"({ openai }) {
    const r = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("Weather in Paris?"), tools: [weatherTool] });
    return r.choices[0]?.message.tool_calls;
  },
  async "openai-chat-stream-tools"({ openai }) {
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("Weather in Paris?"), tools: [weatherTool], stream: true, stream_options: { include_usage: true } });
    const runner = openai.chat.completions.stream({ model: "gpt-4o-mini", messages: user("Say a color") });
    let args = "";
    for await (const chunk of stream) args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? "";
    return { args, helper: (await runner.finalChatCompletion()).choices[0]?.message.content };
  },
  async "openai-chat-stream-inject"({ openai }) {
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("Tell me a story"), stream: true });
    let text = "";
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage ??= chunk.usage ?? undefined;
    }
    return { text, usage };
  },
  async "openai-chat-abort"({ openai }) {
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("Tell me a story"), stream: true });
    let text = "";
    try {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        if (text.length > 10) stream.controller.abort();
      }
    } catch (error) {
      return { text, error: (error as Error).name };
    }
    return { text };
  },
  async "openai-responses"({ openai }) {
    const r = await openai.responses.create({ model: "gpt-4o-mini", instructions: "Be brief.", input: "Say a color" });
    return r.output_text;
  },
  async "openai-responses-stream"({ openai }) {
    const stream = openai.responses.stream({ model: "gpt-4o-mini", input: "Tell me a story" });
    let text = "";
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta;
    return { text, final: (await stream.finalResponse()).output_text };
  },
  async "openai-responses-stream-tools"({ openai }) {
    const stream = await openai.responses.create({
      model: "gpt-4o-mini", input: "Weather in Paris?", stream: true,
      tools: [{ type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false }],
    });
    let args = "";
    for await (const event of stream) if (event.type === "response.function_call_arguments.delta") args += event.delta;
    return args;
  },
  async "openai-embeddings"({ openai }) {
    const r = await openai.embeddings.create({ model: "text-embedding-3-small", input: ["teal otter", "river"] });
    return r.data.map((d) => d.embedding.length);
  },
  async "openai-completions"({ openai }) {
    const r = await openai.completions.create({ model: "gpt-3.5-turbo-instruct", prompt: "Say a color", max_tokens: 5 });
    return r.choices[0]?.text;
  },
  async "openai-models"({ openai }) {
    return (await openai.models.list()).data.map((m) => m.id);
  },
  async "azure-chat"({ azure }) {
    const r = await azure.chat.completions.create({ model: "", messages: user("Say a color") });
    const stream = await azure.chat.completions.create({ model: "", messages: user("Say an animal"), stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    return [r.choices[0]?.message.content, text];
  },
  async "azure-embeddings"({ azure }) {
    const r = await azure.embeddings.create({ model: "", input: "teal" });
    return r.data[0]?.embedding.length;
  },
  async "mistral-chat"({ mistral }) {
    const r = await mistral.chat.complete({ model: "mistral-small-latest", messages: user("Say an animal"), temperature: 0.3 });
    return r.choices[0]?.message?.content;
  },
  async "mistral-chat-stream-tools"({ mistral }) {
    let args = "";
    const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object" } } }];
    for await (const event of await mistral.chat.stream({ model: "mistral-small-latest", messages: user("Weather in Paris?"), tools })) {
      const call = event.data.choices[0]?.delta.toolCalls?.[0];
      if (call) args += typeof call.function.arguments === "string" ? call.function.arguments : JSON.stringify(call.function.arguments);
    }
    return args;
  },
  async "mistral-fim"({ mistral }) {
    const r = await mistral.fim.complete({ model: "codestral-latest", prompt: "def add(a, b):", suffix: "\nprint(add(1, 2))" });
    let streamed = "";
    for await (const event of await mistral.fim.stream({ model: "codestral-latest", prompt: "def add(a, b):" })) streamed += String(event.data.choices[0]?.delta.content ?? "");
    return [r.choices[0]?.message?.content, streamed];
  },
  async "mistral-embeddings"({ mistral }) {
    const r = await mistral.embeddings.create({ model: "mistral-embed", inputs: ["teal", "otter", "river"] });
    return r.data.map((d) => d.embedding?.length);
  },
  async "mistral-agents"({ mistral }) {
    const r = await mistral.agents.complete({ agentId: "ag_0123456789", messages: user("Say an animal") });
    let streamed = "";
    for await (const event of await mistral.agents.stream({ agentId: "ag_0123456789", messages: user("Say a color") })) streamed += String(event.data.choices[0]?.delta.content ?? "");
    return [r.choices[0]?.message?.content, streamed];
  },
  async "ai-sdk-generate"({ gateway }) {
    const responses = await generateText({ model: gateway("gpt-4o-mini"), prompt: "Say a color" });
    const chat = await generateText({
      model: gateway.chat("gpt-4o-mini"), prompt: "Weather in Paris?",
      tools: { get_weather: tool({ inputSchema: jsonSchema<{ city: string }>({ type: "object", properties: { city: { type: "string" } } }) }) },
    });
    return [responses.text, chat.toolCalls.map((call) => call.input)];
  },
  async "ai-sdk-stream"({ gateway }) {
    let responses = "";
    for await (const delta of streamText({ model: gateway("gpt-4o-mini"), prompt: "Tell me a story" }).textStream) responses += delta;
    let chat = "";
    for await (const delta of streamText({ model: gateway.chat("gpt-4o-mini"), prompt: "Say an animal" }).textStream) chat += delta;
    return [responses, chat];
  },
  async "undeclared-host"({ undeclared }) {
    const r = await undeclared.chat.completions.create({ model: "gpt-4o-mini", messages: user("Say a color") });
    return r.choices[0]?.message?.content;
  },
  async "fault"({ direct: openai, fault }) {
    const streamed = fault === "cut" || fault === "error-event";
    const headers = { "x-mock-fault": fault ?? "" };
    try {
      if (!streamed) return await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("Say a color") }, { headers });
      let text = "";
      const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: user("Tell me a story"), stream: true }, { headers });
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return { text };
    } catch (error) {
      return { error: (error as Error).name, status: (error as { status?: number }).status, message: (error as Error).message };
    }
  },
};

export interface ProvidersReply {
  output?: unknown;
  thrown?: string;
  steps: ExportedStep[];
}

export default {
  async fetch(request: Request, env: { MOCK_LLM_URL: string }): Promise<Response> {
    const url = new URL(request.url);
    const name = url.searchParams.get("case") ?? "";
    const scenario = scenarios[name];
    if (!scenario) return new Response(`no scenario ${name}`, { status: 404 });
    const batches: ExportBatch[] = [];
    const tracer = createTracer({
      exporters: [{ name: "memory", export: async (batch) => (batches.push(batch), { sent: 1, retried: 0, dropped: 0, errors: [] }) }],
      providers: [{ baseUrl: GATEWAY, kind: "openai" }, { baseUrl: `${env.MOCK_LLM_URL}/openai`, kind: "openai" }],
      injectStreamUsage: url.searchParams.has("inject"),
    });
    const invocation = tracer.startInvocation();
    const fetch = invocation.fetch;
    const clients: Clients = {
      openai: new OpenAI({ apiKey: "sk-test-SECRET", fetch, maxRetries: 0 }),
      azure: new AzureOpenAI({ endpoint: "https://contoso.openai.azure.com", apiKey: "azure-SECRET", apiVersion: "2024-10-21", deployment: "prod-4o-mini", fetch, maxRetries: 0 }),
      mistral: new Mistral({ apiKey: "mistral-SECRET", httpClient: new HTTPClient({ fetcher: (input, init) => fetch(input, init) }), retryConfig: { strategy: "none" } }),
      gateway: createOpenAI({ baseURL: `${GATEWAY}/v1`, apiKey: "gw-SECRET", fetch }),
      undeclared: new OpenAI({ apiKey: "sk-test-SECRET", baseURL: "https://undeclared.example/openai/v1", fetch, maxRetries: 0 }),
      direct: new OpenAI({ apiKey: "sk-test-SECRET", baseURL: `${env.MOCK_LLM_URL}/openai/v1`, fetch, maxRetries: 0 }),
      fault: url.searchParams.get("fault") ?? undefined,
    };
    const reply: ProvidersReply = { steps: [] };
    try {
      reply.output = await scenario(clients);
    } catch (error) {
      reply.thrown = `${(error as Error).name}: ${(error as Error).message}`;
    }
    await invocation.flush();
    reply.steps = batches.flatMap((batch) => [...batch.looseSteps, ...batch.logs.flatMap((log) => log.steps)]);
    return Response.json(reply);
  },
};
