// Which calls are recorded, in which dialect, as which endpoint: the built-in hosts, Azure, declared endpoints.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { jsonInit, traced, upstream } from "../../test/support/upstream.js";
import { resetWarnings } from "../util/warn.js";
import { endpointOf, looksLikeProviderCall, matchProvider, undeclaredHint } from "./detect.js";

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

describe("an undeclared host", () => {
  it.each([
    ["/openai/v1/chat/completions", { base: "/openai/v1", kind: "openai" }],
    ["/v1/responses/", { base: "/v1", kind: "openai" }],
    ["/api/v1/embeddings", { base: "/api/v1", kind: "openai" }],
    ["/v1/completions", { base: "/v1", kind: "openai" }],
    ["/chat/completions", { base: "", kind: "openai" }],
    ["/v1/fim/completions", { base: "/v1", kind: "mistral" }],
    ["/v1/agents/completions", { base: "/v1", kind: "mistral" }],
    ["/v1/responses/resp_1", undefined],
    ["/v1/models", undefined],
    ["/api/users", undefined],
  ])("POST %s looks like a provider call: %j", (path, expected) => expect(looksLikeProviderCall("POST", path)).toEqual(expected));

  it("only a POST looks like one", () => {
    expect(looksLikeProviderCall("GET", "/v1/chat/completions")).toBeUndefined();
    expect(undeclaredHint(new URL("https://api.groq.com/openai/v1/chat/completions"))).toBeUndefined();
  });

  it("the hint names the host and the providers entry that would record it", () => {
    expect(undeclaredHint(new URL("https://api.groq.com/openai/v1/chat/completions?x=1"), "post")).toBe(
      'api.groq.com looks like an LLM API but is not traced: declare it with `providers: [{ baseUrl: "https://api.groq.com/openai/v1", kind: "openai" }]` in the config.',
    );
    expect(undeclaredHint(new URL("http://127.0.0.1:8080/v1/fim/completions"), "POST")).toContain('baseUrl: "http://127.0.0.1:8080/v1", kind: "mistral"');
  });

  describe("through the traced fetch", () => {
    beforeEach(() => resetWarnings());
    afterEach(() => vi.restoreAllMocks());

    it("says once per isolate how to declare it, and passes the call through untouched and unrecorded", async () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const reply = Response.json({ choices: [] });
      const calls = upstream(() => reply);
      const { invocation, steps } = traced();
      const url = "https://api.together.xyz/v1/chat/completions";
      const init = jsonInit({ model: "m", messages: [{ role: "user", content: "hi" }] });
      expect(await invocation.fetch(url, init)).toBe(reply);
      await invocation.fetch("https://api.groq.com/openai/v1/responses", jsonInit({ model: "m", input: "hi" }));
      await invocation.fetch(url, init);
      expect(calls[0]![0]).toBe(url);
      expect(calls[0]![1]).toBe(init);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toBe('[edge-tracer] api.together.xyz looks like an LLM API but is not traced: declare it with `providers: [{ baseUrl: "https://api.together.xyz/v1", kind: "openai" }]` in the config.');
      expect((await steps()).steps).toEqual([]);
    });

    it("says nothing for other calls, nor for a declared host", async () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      upstream(() => Response.json({ choices: [] }));
      const { invocation, steps } = traced({ providers: [{ baseUrl: "https://api.together.xyz/v1", kind: "openai" }] });
      await invocation.fetch("https://example.com/api/users", jsonInit({ name: "x" }));
      await invocation.fetch("https://example.com/v1/chat/completions");
      await invocation.fetch("https://api.together.xyz/v1/chat/completions", jsonInit({ model: "m", messages: [] }));
      expect(warn).not.toHaveBeenCalled();
      expect((await steps()).steps).toHaveLength(1);
    });
  });
});
