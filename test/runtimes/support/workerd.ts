// Runs a bundled Worker in workerd through Miniflare. Its outbound requests to the real API hosts are answered
// by the loopback mocks (Miniflare's outbound service).
import { fetch as miniflareFetch, Miniflare, Response as MiniflareResponse, type Request as MiniflareRequest } from "miniflare";
import { rewrite, type Routes } from "./routes.js";

export interface WorkerdOptions {
  /** Default none; ["nodejs_als"] for AsyncLocalStorage. */
  compatibilityFlags?: string[];
  bindings?: Record<string, string>;
  /** Where outbound requests go; anything else gets a 502 (a test never reaches the internet). */
  routes?: Routes;
}

/** Starts the bundled Worker `contents` in workerd. Remember to `dispose()`. */
export async function startWorkerd(contents: string, options: WorkerdOptions = {}): Promise<Miniflare> {
  const routes = options.routes ?? [];
  const mf = new Miniflare({
    // `modules` rather than `script`: the Mistral SDK's bundle has a dynamic import() the script option rejects.
    modules: [{ type: "ESModule", path: "worker.js", contents }],
    compatibilityDate: "2026-05-01",
    compatibilityFlags: options.compatibilityFlags ?? [],
    bindings: options.bindings ?? {},
    outboundService: async (request: MiniflareRequest) => {
      const target = rewrite(request.url, routes);
      if (!target) return new MiniflareResponse(`test harness: no mock answers ${request.url}`, { status: 502 });
      const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      return miniflareFetch(target, { method: request.method, headers: request.headers, body });
    },
  });
  await mf.ready;
  return mf;
}
