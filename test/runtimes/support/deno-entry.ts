// The Deno bundle's entry: the harness first, then the README's Deno example exactly as written.
import "./deno-setup.js";
import "../examples/deno-serve.js";
