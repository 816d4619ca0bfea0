// workerd, no compatibility flag: the explicit handle only.
import { handle, type Env } from "./app.js";

export default { fetch: (request: Request, env: Env, ctx: ExecutionContext) => handle(request, env, ctx) };
