// Deno.serve: no waitUntil; AsyncLocalStorage from node:async_hooks unless the harness withholds it.
import "../support/deno-setup.js";
import "./deno-serve.js";
