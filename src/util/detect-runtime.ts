// Which runtime this code runs in, decided in one place from what any code can observe: never `process`.

/**
 * The runtimes edge-tracer tells apart, named as the WinterCG runtime keys are: `workerd` (Cloudflare Workers),
 * `edge-light` (Vercel Edge Functions, Next.js's edge runtime), `deno` (Deno, Deno Deploy, Netlify Edge), `bun`, `node`.
 */
export type RuntimeName = "workerd" | "edge-light" | "deno" | "bun" | "node" | "unknown";

interface Observable {
  Deno?: unknown;
  EdgeRuntime?: unknown;
  Bun?: unknown;
  navigator?: { userAgent?: unknown };
}

/**
 * Names the runtime from its globals: `Deno`, `EdgeRuntime`, `Bun` and `navigator.userAgent`
 * (`Cloudflare-Workers`, `Node.js/…`). Node 20 has no `navigator`; its global object still says `[object global]`.
 *
 * @example if (detectRuntime() === "workerd") { ... }
 */
export function detectRuntime(global: object = globalThis): RuntimeName {
  const { Deno, EdgeRuntime, Bun, navigator } = global as Observable;
  if (typeof Deno === "object" && Deno !== null) return "deno";
  if (typeof EdgeRuntime === "string") return "edge-light";
  const agent = typeof navigator?.userAgent === "string" ? navigator.userAgent : "";
  if (agent === "Cloudflare-Workers") return "workerd";
  if (typeof Bun === "object" && Bun !== null) return "bun";
  if (agent.startsWith("Node.js/") || Object.prototype.toString.call(global) === "[object global]") return "node";
  return "unknown";
}
