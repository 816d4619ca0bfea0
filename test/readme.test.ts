// The README and docs/ stay true: runtime examples word for word, a README short enough to read, every export
// listed, and no link that leads nowhere.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");
const readme = read("README.md");
const docs = readdirSync(join(root, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`);

describe("docs/runtimes.md", () => {
  const runtimes = read("docs/runtimes.md");
  it.each([
    ["workers-with-tracer", 1],
    ["workers-instrument", 2],
    ["vercel-edge-route", 2],
    ["vercel-edge-fetch-event", 2],
    ["deno-serve", 2],
  ])("shows test/runtimes/examples/%s.ts as it is tested", (name, headerLines) => {
    const file = read(`test/runtimes/examples/${name}.ts`);
    const body = file.trimEnd().split("\n").slice(headerLines as number).join("\n");
    expect(runtimes).toContain("```ts\n" + body + "\n```");
  });
});

describe("README.md", () => {
  it("is under 15 KB", () => {
    expect(Buffer.byteLength(readme, "utf8")).toBeLessThan(15 * 1024);
  });

  it("opens with the commands that run the example and the tests", () => {
    const first = readme.match(/^```[^\n]*\n([\s\S]*?)^```/m)?.[1] ?? "";
    expect(first).toContain("npm ci && npm start");
    expect(first).toContain("npm test");
  });

  it("names every export of src/index.ts", () => {
    const names = exportNames(read("src/index.ts"));
    expect(names.length).toBeGreaterThan(40);
    expect(names.filter((name) => !new RegExp(`\\b${name}\\b`).test(readme))).toEqual([]);
  });
});

describe("links", () => {
  it.each(["README.md", ...docs])("every relative link in %s leads to a file and heading that exist", (path) => {
    const broken = relativeLinks(read(path)).filter((link) => !resolves(path, link));
    expect(broken).toEqual([]);
  });
});

/** The names `export { a, type B } from …` and `export type { C } from …` make public. */
function exportNames(source: string): string[] {
  const names: string[] = [];
  for (const [, list] of source.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const item of list!.split(",")) {
      const name = item.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop()!.trim();
      if (name) names.push(name);
    }
  }
  return names;
}

/** Markdown code (fenced blocks and inline spans) holds no links: drop it before looking. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/(`+)[\s\S]*?\1/g, "");
}

/** Targets of `[text](target)` and `[label]: target` that are not absolute URLs. */
function relativeLinks(markdown: string): string[] {
  const text = withoutCode(markdown);
  const targets = [
    ...[...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]!),
  ];
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/** A link from the file at `from` (relative to the repository root) resolves to a file, and its #anchor to a heading. */
function resolves(from: string, link: string): boolean {
  const [pathPart = "", anchor] = link.split("#", 2) as [string, string | undefined];
  const target = pathPart ? join(dirname(join(root, from)), decodeURIComponent(pathPart)) : join(root, from);
  if (relative(root, target).startsWith("..") || !existsSync(target)) return false;
  if (anchor === undefined) return true;
  if (statSync(target).isDirectory() || !target.endsWith(".md")) return false;
  return headingSlugs(readFileSync(target, "utf8")).has(decodeURIComponent(anchor));
}

/** The anchors GitHub gives a file's headings (github-slugger): duplicates get -1, -2… */
function headingSlugs(markdown: string): Set<string> {
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "");
  const seen = new Map<string, number>();
  const slugs = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = slug(heading!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    slugs.add(count ? `${base}-${count}` : base);
  }
  return slugs;
}

/** GitHub's rule: the rendered text, lower-cased, without punctuation or symbols, each space a hyphen. */
function slug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images keep their text
    .replace(/<[^>]+>/g, "") // inline HTML
    .replace(/(^|\s)_+|_+(?=\s|$)/g, "$1"); // _emphasis_, not snake_case
  return rendered.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}
