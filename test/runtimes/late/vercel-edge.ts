// Vercel Edge (Next.js App Router route): waitUntil from Vercel's request context; Next.js's global
// AsyncLocalStorage when the sandbox defines it.
import type { AsyncLocalStorageClass } from "edge-tracer";
import { handle, type Env } from "./app.js";

export async function POST(request: Request): Promise<Response> {
  const als = (globalThis as { AsyncLocalStorage?: AsyncLocalStorageClass }).AsyncLocalStorage;
  return handle(request, process.env as Env, null, als);
}
