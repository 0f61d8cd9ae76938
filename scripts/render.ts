// npm run render -- <stack> [--out <dir>]
// Runs the real program for Pulumi.<stack>.yaml in-process under mocks (no CLI, cluster or
// credentials) and writes values.yaml and resources.json; see docs/how-to/render-offline.md.
import * as fs from "fs";
import * as path from "path";
import * as jsYaml from "js-yaml";
import type * as RenderStack from "../offline/renderStack";
import { flattenConfig, readStackConfig } from "../offline/stackConfig";
import type * as PolicyCheck from "../policies/policyCheck";
import type * as StackSettings from "../settings/stackSettings";

type RenderedStack = RenderStack.RenderedStack;

// What renders is required where it is needed, not imported above: bad input fails before the
// Pulumi SDK and the program are loaded (most of a second). (A TypeScript import() would stay an
// ES import in this CommonJS code.)
const stackSettings = () => require("../settings/stackSettings") as typeof StackSettings;
const renderStack = () => require("../offline/renderStack") as typeof RenderStack;
const policyCheck = () => require("../policies/policyCheck") as typeof PolicyCheck;

const USAGE = "usage: npm run render -- <stack> [--out <dir>]";

export function parseArguments(argv: readonly string[]): { stack: string; out: string } {
  let stack: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === "--out") {
      out = argv[++i];
      if (!out) throw new Error(`--out needs a directory\n${USAGE}`);
    } else if (argument.startsWith("-")) {
      throw new Error(`unknown option ${argument}\n${USAGE}`);
    } else if (stack === undefined) {
      stack = argument;
    } else {
      throw new Error(`one stack at a time, got '${stack}' and '${argument}'\n${USAGE}`);
    }
  }
  if (!stack) throw new Error(USAGE);
  return { stack, out: out ?? path.join("rendered", stack) };
}

export function renderedFiles(rendered: RenderedStack): Record<string, string> {
  // js-yaml quotes strings such as 2025-10-06 or "yes" that Helm's YAML 1.1 parser would otherwise
  // read as a date or a boolean.
  return {
    "values.yaml": jsYaml.dump(rendered.values, { lineWidth: -1, noRefs: true }),
    "resources.json": JSON.stringify(rendered.resources, null, 2) + "\n",
  };
}

export function summary(stack: string, rendered: RenderedStack): string {
  const counts = new Map<string, number>();
  for (const resource of rendered.resources) counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
  const width = Math.max(...[...counts.keys()].map((type) => type.length));
  const lines = [...counts].map(([type, count]) => `  ${type.padEnd(width)}  ${count}`);
  return [
    `stack ${stack}: ${rendered.resources.length} resources, chart ${rendered.settings.hub.chartVersion}`,
    ...lines,
    `  hub URL: ${rendered.outputs.hubUrl}`,
  ].join("\n");
}

async function main(): Promise<number> {
  let options: { stack: string; out: string };
  let rendered: RenderedStack;
  try {
    options = parseArguments(process.argv.slice(2));
    // Stack files are found where the Pulumi CLI finds them: in the directory it runs in.
    const config = readStackConfig(options.stack, process.cwd());
    // Bad config fails here, before the SDK loads: the check the program's loadSettings makes.
    stackSettings().settingsFromConfig(flattenConfig(config));
    rendered = await renderStack().renderStack(config, options.stack);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  // The policy pack's rules over what the stack declares: a mandatory violation fails the render.
  const policies = policyCheck().policyCheck(rendered);
  if (policies.failed) {
    console.error(`stack ${options.stack} breaks mandatory policies; nothing written\n${policies.report}`);
    return 1;
  }
  // Written only once everything rendered: a failed render leaves the previous output alone.
  fs.mkdirSync(options.out, { recursive: true });
  for (const [file, text] of Object.entries(renderedFiles(rendered))) {
    fs.writeFileSync(path.join(options.out, file), text);
  }
  console.log(summary(options.stack, rendered));
  console.log(policies.report);
  console.log(`  written to ${path.relative(process.cwd(), options.out) || "."}/`);
  return 0;
}

if (require.main === module) {
  main().then((code) => process.exit(code));
}
