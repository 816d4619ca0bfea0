// Which provider a URL belongs to (the built-in hosts, Azure OpenAI, endpoints declared in config),
// and which endpoint family its path names; for a call to an undeclared host that looks like one, how to declare it.
import type { ProviderEndpoint } from "../model/config.js";

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
      return { provider: endpoint.kind as "openai" | "mistral", path: new URL(rest.startsWith("/") ? rest : `/${rest}`, "http://x").pathname, host, port };
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

/** Where a call to an undeclared host would be declared: the path before its endpoint, and the dialect it speaks. */
export interface UndeclaredBase {
  /** The path before the endpoint, e.g. `/openai/v1` for `/openai/v1/chat/completions`; empty at the root. */
  base: string;
  /** FIM and agents completions are Mistral's own; every other endpoint is OpenAI's. */
  kind: "openai" | "mistral";
}

const SHAPED = /^(.*?)\/(?:(fim|agents)\/completions|chat\/completions|completions|responses|embeddings)\/*$/;

/**
 * Whether a call that no provider matched looks like an OpenAI or Mistral API call (a POST to one of the endpoints
 * we parse), so the user can be told to declare its host; undefined when it does not.
 *
 * @example
 * looksLikeProviderCall("POST", "/openai/v1/chat/completions"); // { base: "/openai/v1", kind: "openai" }
 * looksLikeProviderCall("POST", "/api/users"); // undefined
 */
export function looksLikeProviderCall(method: string, path: string): UndeclaredBase | undefined {
  if (method !== "POST") return undefined;
  const found = SHAPED.exec(path);
  return found ? { base: found[1]!, kind: found[2] ? "mistral" : "openai" } : undefined;
}

/**
 * The hint for a call no provider matched that looks like an OpenAI or Mistral API call, naming the `providers`
 * entry that would record it; undefined for any other call.
 *
 * @example
 * undeclaredHint(new URL("https://api.groq.com/openai/v1/chat/completions"), "POST");
 * // "… add `providers: [{ baseUrl: \"https://api.groq.com/openai/v1\", kind: \"openai\" }]` to the tracer config."
 */
export function undeclaredHint(url: URL, method = "GET"): string | undefined {
  const shaped = looksLikeProviderCall(method.toUpperCase(), url.pathname);
  if (!shaped) return undefined;
  return `${url.host} looks like an LLM API but is not traced: declare it with \`providers: [{ baseUrl: "${url.origin}${shaped.base}", kind: "${shaped.kind}" }]\` in the config.`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
