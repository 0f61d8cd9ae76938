// README.md and docs/ are the newcomer's manual: the generated reference, the commands, the config
// keys and the links they name must match the code.
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { REFERENCE_FILE, withReference } from "../../scripts/configReference";
import { settingsSchema } from "../../settings/schema";
import { PROJECT_ROOT } from "../harness/stackConfig";

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");
const readme = read("README.md");
const packageJson = JSON.parse(read("package.json"));

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    return entry.isDirectory() ? markdownFiles(file) : entry.name.endsWith(".md") ? [file] : [];
  });
}
const pages = ["README.md", ...markdownFiles("docs")];

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; oneOf?: JsonSchema[]; anyOf?: JsonSchema[]; type?: string | string[] };
const rootSchema = z.toJSONSchema(settingsSchema, { io: "input" }) as JsonSchema;

/** Whether a dotted key path (`hub.chartVersion`, `profiles[0].image`) exists in the schema; a map without declared keys takes any. */
function schemaHasPath(schema: JsonSchema, segments: readonly string[]): boolean {
  if (segments.length === 0) return true;
  const variants = [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
  if (variants.length > 0) return variants.some((variant) => schemaHasPath(variant, segments));
  const [head, ...rest] = segments;
  if (head === "[]") return schema.items !== undefined && schemaHasPath(schema.items, rest);
  if (schema.properties) return head in schema.properties && schemaHasPath(schema.properties[head], rest);
  return schema.type === "object";
}
const keyPath = (name: string) => name.replace(/\[\d*\]/g, ".[]").split(".").filter(Boolean);

/** GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces as `-`. */
function anchors(markdown: string): Set<string> {
  let fenced = false;
  const found = new Set<string>();
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (heading) found.add(heading[1].trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-"));
  }
  return found;
}

it("has a configuration reference generated from the current schema (run `npm run docs`)", () => {
  const page = fs.readFileSync(REFERENCE_FILE, "utf8");
  expect(page).toBe(withReference(page));
});

it("documents every top-level config key in the reference", () => {
  const page = fs.readFileSync(REFERENCE_FILE, "utf8");
  for (const key of Object.keys(rootSchema.properties!)) expect(page).toMatch(new RegExp(`^## \`jupyterhub:${key}\``, "m"));
});

it("gives the test command that .ci/run runs", () => {
  const ciRun = read(".ci/run");
  expect(readme).toContain("npm ci\nnpm test\n");
  expect(ciRun).toMatch(/^npm ci\b.*\nnpm test$/m);
});

it("keeps README short: what it is, a picture, the two commands, the dev stack, links", () => {
  expect(readme.split("\n").length).toBeLessThan(250);
  for (const dir of ["tutorials", "how-to", "reference", "explanation"]) expect(readme).toContain(`](docs/${dir}/`);
});

describe.each(pages)("%s", (page) => {
  const text = read(page);

  it("names only npm scripts that exist", () => {
    for (const [, script] of text.matchAll(/npm run ([\w:-]+)/g)) expect(packageJson.scripts).toHaveProperty(script);
  });

  it("names only jupyterhub: keys the schema has", () => {
    // An example of the error a misspelt key gets is the one exception.
    const named = [...text.matchAll(/jupyterhub:([A-Za-z]+(?:\.[A-Za-z]+|\[\d*\])*)(?![\w.[])(?!: unknown key)/g)].map((m) => m[1]);
    const unknown = named.filter((name) => !schemaHasPath(rootSchema, keyPath(name)));
    expect(unknown).toEqual([]);
  });

  it("links only to files and headings that exist", () => {
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue; // http(s), mailto
      const [file, anchor] = target.split("#");
      const resolved = file ? path.join(path.dirname(path.join(PROJECT_ROOT, page)), file) : path.join(PROJECT_ROOT, page);
      if (!fs.existsSync(resolved)) broken.push(target);
      else if (anchor && resolved.endsWith(".md") && !anchors(fs.readFileSync(resolved, "utf8")).has(anchor)) broken.push(target);
    }
    expect(broken).toEqual([]);
  });
});

it("catches a misnamed key, script or link (the checks can fail)", () => {
  expect(schemaHasPath(rootSchema, keyPath("hub.chartVersion"))).toBe(true);
  expect(schemaHasPath(rootSchema, keyPath("profiles[0].image"))).toBe(true);
  expect(schemaHasPath(rootSchema, keyPath("chartValues.cull.timeout"))).toBe(true);
  expect(schemaHasPath(rootSchema, keyPath("hub.chartVersions"))).toBe(false);
  expect(schemaHasPath(rootSchema, keyPath("cullling"))).toBe(false);
  expect(anchors("# Give CI a stack's credentials\n```\n# not a heading\n```\n")).toEqual(new Set(["give-ci-a-stacks-credentials"]));
});
