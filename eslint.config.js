// The edge rule, kept by ESLint in `npm test`: everything under src/ uses web standards only, so it runs on workerd
// with no compatibility flag, Vercel Edge and Deno. Its tests too: a test that needs Node (node:async_hooks, fs)
// lives in test/. Node's modules are also refused by .dependency-cruiser.cjs; its globals only a linter sees.
import tsParser from "@typescript-eslint/parser";

const NODE_GLOBALS = ["process", "Buffer", "require", "module", "exports", "__dirname", "__filename", "global", "setImmediate", "clearImmediate"];
const message = "Not on every edge runtime: src/ uses web standards only (fetch, streams, Web Crypto, TextEncoder).";

export default [
  {
    files: ["src/**/*.ts"],
    languageOptions: { parser: tsParser, sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "no-restricted-globals": ["error", ...NODE_GLOBALS.map((name) => ({ name, message }))],
      "no-restricted-properties": ["error", ...NODE_GLOBALS.map((property) => ({ object: "globalThis", property, message }))],
      "no-restricted-imports": ["error", { patterns: [{ regex: "^(node:|(fs|path|os|url|http|https|net|child_process|async_hooks|stream|crypto|buffer)(/|$))", message }] }],
    },
  },
];
