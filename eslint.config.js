// The edge rule, kept by ESLint in `npm test`: code under src/ uses web standards only, so it runs on workerd
// with no compatibility flag, Vercel Edge and Deno. Node's modules are also refused by .dependency-cruiser.cjs;
// its globals only a linter sees. Tests beside the code run in Node and are exempt.
import tsParser from "@typescript-eslint/parser";

const NODE_GLOBALS = ["process", "Buffer", "require", "module", "exports", "__dirname", "__filename", "global", "setImmediate", "clearImmediate"];
const message = "Not on every edge runtime: src/ uses web standards only (fetch, streams, Web Crypto, TextEncoder).";

export default [
  {
    files: ["src/**/*.ts"],
    ignores: ["src/**/*.test.ts"],
    languageOptions: { parser: tsParser, sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "no-restricted-globals": ["error", ...NODE_GLOBALS.map((name) => ({ name, message }))],
      "no-restricted-properties": ["error", ...NODE_GLOBALS.map((property) => ({ object: "globalThis", property, message }))],
      "no-restricted-imports": ["error", { patterns: [{ regex: "^node:", message }] }],
    },
  },
];
