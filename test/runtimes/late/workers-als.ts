// workerd with `nodejs_als`: AsyncLocalStorage passed in the config, so instrument's module-level API works too.
import { AsyncLocalStorage } from "node:async_hooks";
import { handle, type Env } from "./app.js";

export default { fetch: (request: Request, env: Env, ctx: ExecutionContext) => handle(request, env, ctx, AsyncLocalStorage) };
