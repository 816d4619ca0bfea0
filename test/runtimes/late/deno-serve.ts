// The app under Deno.serve, with the env it reads.
import { AsyncLocalStorage } from "node:async_hooks";
import { handle, type Env } from "./app.js";

const env: Env = {
  OPENAI_API_KEY: Deno.env.get("OPENAI_API_KEY"),
  PHOSPHO_API_KEY: Deno.env.get("PHOSPHO_API_KEY"),
  PHOSPHO_PROJECT_ID: Deno.env.get("PHOSPHO_PROJECT_ID"),
};
Deno.serve((request: Request) => handle(request, env, null, AsyncLocalStorage));
