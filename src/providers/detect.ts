// Which provider a URL belongs to (the built-in hosts, Azure OpenAI, endpoints declared in config),
// and which endpoint family its path names.
import type { ProviderEndpoint } from "../core/config.js";

export interface ProviderMatch {
  provider: "openai" | "mistral";
  /** The path after the provider's base, e.g. `/v1/chat/completions`. */
  path: string;
  host: string;
  port?: number;
  /** Azure OpenAI: the deployment named in the path, the model when the body names none. */
  deployment?: string;
}

/** The endpoint families we parse; anything else on a provider host is `generic` (path, status, latency). */
export type Endpoint = "chat" | "responses" | "embeddings" | "completions" | "fim" | "agents" | "generic";

const AZURE_OPENAI = /\.openai\.azure\.com$/;
// Newer Azure resources serve the same API from AI Services hosts, under /openai/ (other paths there are other services).
const AZURE_AI_SERVICES = /\.(cognitiveservices\.azure\.com|services\.ai\.azure\.com)$/;
const DEPLOYMENT = /^\/openai\/deployments\/([^/]+)\//;

export function matchProvider(url: URL, declared: readonly ProviderEndpoint[]): ProviderMatch | undefined {
  const host = url.hostname;
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const path = url.pathname;
  if (host === "api.openai.com") return { provider: "openai", path, host, port };
  if (host === "api.mistral.ai") return { provider: "mistral", path, host, port };
  if (AZURE_OPENAI.test(host) || (AZURE_AI_SERVICES.test(host) && path.startsWith("/openai/"))) {
    const deployment = DEPLOYMENT.exec(path)?.[1];
    return { provider: "openai", path, host, port, deployment: deployment && safeDecode(deployment) };
  }
  const href = url.href;
  for (const endpoint of declared) {
    const base = endpoint.baseUrl.replace(/\/+$/, "");
    // `https://gw/openai` covers `https://gw/openai/v1/…`, not `https://gw/openai-legacy/…`.
    if (href.startsWith(base) && /^(?:[/?#]|$)/.test(href.slice(base.length, base.length + 1))) {
      const rest = href.slice(base.length) || "/";
      return { provider: endpoint.kind, path: new URL(rest.startsWith("/") ? rest : `/${rest}`, "http://x").pathname, host, port };
    }
  }
  return undefined;
}

/**
 * The endpoint a path names, by its ending, so that every base works alike: `/v1/…` on the built-in hosts,
 * `/openai/deployments/{d}/…` and `/openai/v1/…` on Azure, and whatever prefix a gateway adds.
 */
export function endpointOf(method: string, path: string): Endpoint {
  if (method !== "POST") return "generic";
  const end = path.replace(/\/+$/, "");
  if (end.endsWith("/chat/completions")) return "chat";
  if (end.endsWith("/fim/completions")) return "fim";
  if (end.endsWith("/agents/completions")) return "agents";
  if (end.endsWith("/completions")) return "completions";
  if (end.endsWith("/responses")) return "responses";
  if (end.endsWith("/embeddings")) return "embeddings";
  return "generic";
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
