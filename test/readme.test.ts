// The README's runtime examples are the files the runtime matrix runs, word for word.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

it.each([
  ["workers-with-tracer", 1],
  ["workers-instrument", 2],
  ["vercel-edge-route", 2],
  ["deno-serve", 2],
])("shows test/runtimes/examples/%s.ts as it is tested", (name, headerLines) => {
  const file = readFileSync(new URL(`./runtimes/examples/${name}.ts`, import.meta.url), "utf8");
  const body = file.trimEnd().split("\n").slice(headerLines as number).join("\n");
  expect(readme).toContain("```ts\n" + body + "\n```");
});
