// Which provider a URL belongs to: the built-in hosts, Azure OpenAI, and endpoints declared in config.
import type { ProviderEndpoint } from "../core/config.js";

export interface ProviderMatch {
  provider: "openai" | "mistral";
  /** The path after the provider's base, e.g. `/v1/chat/completions`. */
  path: string;
  host: string;
  port?: number;
}

export function matchProvider(url: URL, declared: readonly ProviderEndpoint[]): ProviderMatch | undefined {
  const host = url.hostname;
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  if (host === "api.openai.com" || host.endsWith(".openai.azure.com")) return { provider: "openai", path: url.pathname, host, port };
  if (host === "api.mistral.ai") return { provider: "mistral", path: url.pathname, host, port };
  const href = url.href;
  for (const endpoint of declared) {
    if (href.startsWith(endpoint.baseUrl)) {
      return { provider: endpoint.kind, path: new URL(href.slice(endpoint.baseUrl.replace(/\/+$/, "").length) || "/", "http://x").pathname, host, port };
    }
  }
  return undefined;
}

/** The chat completions endpoint, in both dialects (and Azure's `/openai/deployments/{d}/chat/completions`). */
export const isChatCompletions = (match: ProviderMatch) => match.path.endsWith("/chat/completions");
