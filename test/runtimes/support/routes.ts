// Sends the real API hosts the examples call to the loopback mocks. Pure, so every harness can use it:
// Node (Miniflare's outbound service, EdgeVM's fetch) and the Deno bundle.

/** [prefix of a real URL, what replaces it]: e.g. ["https://api.openai.com/", "http://127.0.0.1:41234/openai/"]. */
export type Routes = [string, string][];

/** The loopback URL for `url`, or undefined for a URL no mock answers (a test must never reach the internet). */
export function rewrite(url: string, routes: Routes): string | undefined {
  for (const [from, to] of routes) if (url.startsWith(from)) return to + url.slice(from.length);
  return undefined;
}

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that calls `fetchFn` on the mock's URL instead of the real one. A Request is rebuilt from its parts,
 * because EdgeVM's `clone()` returns a Request of another realm that `new Request(url, request)` would misread.
 */
export function routedFetch(fetchFn: (url: string, init?: RequestInit) => Promise<Response>, routes: Routes): Fetch {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const target = rewrite(url, routes);
    if (target === undefined) throw new TypeError(`test harness: no mock answers ${url}`);
    if (typeof input === "string" || input instanceof URL) return fetchFn(target, init);
    const method = input.method;
    const body = method === "GET" || method === "HEAD" ? undefined : await input.arrayBuffer();
    return fetchFn(target, { method, headers: input.headers, body, signal: input.signal, ...init });
  };
}
