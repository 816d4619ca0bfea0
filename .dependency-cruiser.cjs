// The floor plan of src/, kept by dependency-cruiser in `npm test` (`npm run lint:deps`). Layers, bottom to top;
// a module imports only from its own layer or below. No cycle, type imports included. No Node module in src/.
// Tests beside the code (`*.test.ts`) may import from any layer; they may not import Node's modules either
// (ESLint checks them: a test that needs Node lives in test/).
/** @type {string[][]} bottom first */
const LAYERS = [
  ["util", "errors"],
  ["model"],
  ["record"],
  ["pipeline"],
  ["exporters"],
  ["context"],
  ["providers"],
  ["otel"],
  ["api"],
  ["runtime"],
];
const folder = (names) => `^src/(${names.join("|")})/`;
const SOURCE = { path: "^src/", pathNot: "\\.test\\.ts$" };

/** One rule per layer: nothing in it imports from a layer above. */
const upward = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `no-upward-from-${layer.join("-")}`,
  comment: `${layer.join(", ")} sit below ${LAYERS.slice(index + 1).flat().join(", ")}: import from below only (see docs/architecture.md)`,
  severity: "error",
  from: { path: folder(layer), pathNot: SOURCE.pathNot },
  to: { path: folder(LAYERS.slice(index + 1).flat()) },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "An import cycle, type imports included: move the shared part down a layer",
      severity: "error",
      from: SOURCE,
      to: { circular: true },
    },
    {
      name: "no-node-modules-in-src",
      comment: "src/ runs on workerd, Vercel Edge and Deno: web standards only (no node:*, no Node built-in)",
      severity: "error",
      from: SOURCE,
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "entries-only-re-export",
      comment: "src/index.ts and src/otlp.ts are the package's entries; nothing imports them",
      severity: "error",
      from: SOURCE,
      to: { path: "^src/(index|otlp)\\.ts$" },
    },
    {
      name: "no-unresolvable",
      severity: "error",
      from: SOURCE,
      to: { couldNotResolve: true },
    },
    ...upward,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.test\\.ts$" },
    // Type-only imports count: a cycle through `import type` is still a cycle in the design.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
