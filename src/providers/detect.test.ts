// Which calls are recorded, in which dialect, as which endpoint: the built-in hosts, Azure, declared endpoints.
import { describe, expect, it } from "vitest";
import { endpointOf, matchProvider } from "./detect.js";

const match = (url: string, declared: { baseUrl: string; kind: "openai" | "mistral" }[] = []) => matchProvider(new URL(url), declared);

describe("matchProvider", () => {
  it("knows api.openai.com and api.mistral.ai", () => {
    expect(match("https://api.openai.com/v1/chat/completions")).toEqual({ provider: "openai", path: "/v1/chat/completions", host: "api.openai.com", port: 443 });
    expect(match("https://api.mistral.ai/v1/fim/completions")).toEqual({ provider: "mistral", path: "/v1/fim/completions", host: "api.mistral.ai", port: 443 });
  });

  it("knows Azure OpenAI and takes the deployment from the path", () => {
    expect(match("https://contoso.openai.azure.com/openai/deployments/prod%204o/chat/completions?api-version=2024-10-21")).toEqual({
      provider: "openai", path: "/openai/deployments/prod%204o/chat/completions", host: "contoso.openai.azure.com", port: 443, deployment: "prod 4o",
    });
    expect(match("https://contoso.openai.azure.com/openai/v1/responses")?.deployment).toBeUndefined();
    // AI Services hosts serve many APIs: only their /openai/ paths are OpenAI calls.
    expect(match("https://contoso.cognitiveservices.azure.com/openai/deployments/d/embeddings?api-version=1")).toMatchObject({ provider: "openai", deployment: "d" });
    expect(match("https://contoso.cognitiveservices.azure.com/vision/v3.2/analyze")).toBeUndefined();
  });

  it("matches a declared endpoint by URL prefix, on a path boundary, and gives the path after its base", () => {
    const declared = [{ baseUrl: "https://gateway.ai.cloudflare.com/v1/acct/gw/openai", kind: "openai" as const }, { baseUrl: "http://127.0.0.1:8790/mistral/", kind: "mistral" as const }];
    expect(match("https://gateway.ai.cloudflare.com/v1/acct/gw/openai/chat/completions", declared)).toMatchObject({ provider: "openai", path: "/chat/completions", host: "gateway.ai.cloudflare.com" });
    expect(match("http://127.0.0.1:8790/mistral/v1/embeddings", declared)).toMatchObject({ provider: "mistral", path: "/v1/embeddings", port: 8790 });
    expect(match("https://gateway.ai.cloudflare.com/v1/acct/gw/openai-legacy/chat/completions", declared)).toBeUndefined();
  });

  it("does not record an OpenAI-shaped call to a host neither built in nor declared", () => {
    expect(match("https://api.groq.com/openai/v1/chat/completions")).toBeUndefined();
    expect(match("https://api.openai.com.evil.example/v1/chat/completions")).toBeUndefined();
  });
});

describe("endpointOf", () => {
  it.each([
    ["/v1/chat/completions", "chat"],
    ["/openai/deployments/d/chat/completions", "chat"],
    ["/chat/completions/", "chat"],
    ["/v1/responses", "responses"],
    ["/openai/v1/responses", "responses"],
    ["/v1/embeddings", "embeddings"],
    ["/v1/completions", "completions"],
    ["/v1/fim/completions", "fim"],
    ["/v1/agents/completions", "agents"],
    ["/v1/responses/resp_1/cancel", "generic"],
    ["/v1/moderations", "generic"],
    ["/v1/audio/speech", "generic"],
  ])("POST %s → %s", (path, endpoint) => expect(endpointOf("POST", path)).toBe(endpoint));

  it("reads any other method as generic", () => {
    expect(endpointOf("GET", "/v1/chat/completions")).toBe("generic");
    expect(endpointOf("DELETE", "/v1/responses")).toBe("generic");
  });
});
