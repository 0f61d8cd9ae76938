// npm run bench: wall time and peak memory of `npm run render` (package.json's command, node
// options included) for homelab and for generated 1,000-user / 20-profile stacks, next to the
// floor (the same Node, with the same options, only loading the packages the render loads). Each
// is a fresh process, run BENCH_RUNS times (default 5) after a warm-up; medians are reported. The
// two sides of each ratio run in turn (floor, homelab, floor, ...; a 1,000-user stack, homelab,
// ...), so that what else the machine does meanwhile weighs on both alike.
// Exits 1 when a target is missed. Cold start: the homelab program as the Pulumi CLI runs it
// (cmd/run, Pulumi.yaml's runtime options, an empty transpile cache) next to its render, and the
// cmd/run floor (the same with a program that only loads the packages) next to both.
//
// The targets (issues #2 and #20): the homelab render within 1.5x the floor, the cold start within
// 1.5x the homelab render, and each 1,000-user stack (the hub's local login, Keycloak login where
// every user is also a Keycloak user resource, an SSH key for every user) within 2x the homelab
// render.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { languageHostCommand, startMockEngine } from "../../offline/mockEngineServer";
import { flattenConfig, readStackConfig } from "../../offline/stackConfig";
import { generatedStackFile, type Login } from "./generatedStack";

const ROOT = path.join(__dirname, "..", "..");
const REPORT_USAGE = path.join(__dirname, "reportUsage.cjs");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
// Every package `npm run render -- homelab` loads (a test keeps this list in step).
export const FLOOR_PACKAGES = [
  "@1password/pulumi-onepassword",
  "@pulumi/docker-build",
  "@pulumi/keycloak",
  "@pulumi/kubernetes",
  "@pulumi/pulumi",
  "@pulumi/tls",
  "@pulumi/vault",
  "js-yaml",
  "zod",
];

interface Measurement {
  wallMs: number;
  maxRssMiB: number;
}

function measureOnce(args: string[], cwd: string, scratch: string): Measurement {
  const usageFile = path.join(scratch, "usage.json");
  fs.rmSync(usageFile, { force: true });
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["-r", REPORT_USAGE, ...args], {
    cwd,
    env: { ...process.env, BENCH_USAGE_FILE: usageFile },
    encoding: "utf8",
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} failed:\n${result.stderr}`);
  const { maxRssKiB } = JSON.parse(fs.readFileSync(usageFile, "utf8")) as { maxRssKiB: number };
  return { wallMs, maxRssMiB: maxRssKiB / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function medianOf(runs: readonly Measurement[]): Measurement {
  return { wallMs: median(runs.map((m) => m.wallMs)), maxRssMiB: median(runs.map((m) => m.maxRssMiB)) };
}

/**
 * Commands' medians, run in turn (a, b, a, b, ...) after a warm-up each (file cache, transpile
 * cache), so that a change in what else the machine does meanwhile weighs on every side of their
 * ratios alike, not on one of them alone.
 */
async function measureInTurn(...sides: (() => Measurement | Promise<Measurement>)[]): Promise<Measurement[]> {
  for (const side of sides) await side();
  const runs: Measurement[][] = sides.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [n, side] of sides.entries()) runs[n].push(await side());
  }
  return runs.map(medianOf);
}

/**
 * A program as `pulumi preview` runs it, cold: node under the SDK's cmd/run with Pulumi.yaml's
 * runtime options, against the offline mocks served as the engine over gRPC
 * (offline/mockEngineServer.ts), with an empty transpile cache each time. The homelab program, or
 * (programDirectory) the cmd/run floor's.
 */
function coldProgramRun(scratch: string, programDirectory = ROOT): () => Promise<Measurement> {
  const config = flattenConfig(readStackConfig("homelab", ROOT));
  const runtimeOptions = (YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: Record<string, unknown> } }).runtime.options;
  return async (): Promise<Measurement> => {
    const engine = await startMockEngine({ stack: "homelab", config, preview: true });
    const cache = fs.mkdtempSync(path.join(scratch, "transpile-cache-"));
    const usageFile = path.join(scratch, "usage.json");
    try {
      const { args, env } = languageHostCommand({ project: "jupyterhub", stack: "homelab", programDirectory, runtimeOptions, address: engine.address, config, preview: true });
      const started = process.hrtime.bigint();
      // From the project's directory, where nodeargs' --require paths are.
      const child = spawn(process.execPath, ["-r", REPORT_USAGE, ...args], {
        cwd: ROOT,
        // ts-node's cache too, for a Pulumi.yaml that still uses it.
        env: { ...process.env, ...env, REGISTER_TYPESCRIPT_CACHE: cache, TS_NODE_CACHE_DIRECTORY: cache, BENCH_USAGE_FILE: usageFile },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr!.on("data", (chunk) => (stderr += chunk));
      const code = await new Promise((resolve) => child.on("exit", resolve));
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0) throw new Error(`the program under cmd/run failed:\n${stderr}`);
      const { maxRssKiB } = JSON.parse(fs.readFileSync(usageFile, "utf8")) as { maxRssKiB: number };
      return { wallMs, maxRssMiB: maxRssKiB / 1024 };
    } finally {
      await engine.stop();
      fs.rmSync(cache, { recursive: true, force: true });
    }
  };
}

/**
 * The cmd/run floor: a program that loads the floor's packages and declares nothing, in a
 * directory of its own. What the SDK's cmd/run costs before a program declares anything: its own
 * modules (OpenTelemetry, source-map-support), its calls to the engine, the root stack resource.
 */
function cmdRunFloorProgram(scratch: string): string {
  const directory = path.join(scratch, "cmd-run-floor");
  fs.mkdirSync(directory, { recursive: true });
  const requires = FLOOR_PACKAGES.map((p) => `require(require.resolve(${JSON.stringify(p)}, { paths: [${JSON.stringify(ROOT)}] }));`);
  fs.writeFileSync(path.join(directory, "index.js"), `${requires.join("\n")}\n`);
  fs.writeFileSync(path.join(directory, "package.json"), JSON.stringify({ name: "cmd-run-floor", main: "index.js" }));
  return directory;
}

/**
 * `npm run render`'s command from package.json, after `node`, with the project's paths made
 * absolute (the generated stacks render from a scratch directory): the bench measures what
 * users run, node options included.
 */
export function renderCommand(root = ROOT): string[] {
  const script = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.render;
  const [node, ...args] = script.split(/\s+/).filter(Boolean);
  if (node !== "node") throw new Error(`package.json's render script does not start with node: ${script}`);
  return args.map((arg) => (arg.startsWith("./") || /\.(ts|cjs)$/.test(arg) ? path.join(root, arg) : arg));
}

/** The node options of a command (flags such as --max-semi-space-size), without its preloads and script. */
export function nodeOptions(command: readonly string[]): string[] {
  const options: string[] = [];
  for (let i = 0; i < command.length && command[i].startsWith("-"); i++) {
    if (command[i] === "-r" || command[i] === "--require") i++;
    else options.push(command[i]);
  }
  return options;
}

function renderArgs(stack: string, out: string): string[] {
  return [...renderCommand(), stack, "--out", out];
}

function resourceCount(out: string): number {
  return (JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as unknown[]).length;
}

async function main(): Promise<number> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "jupyterhub-bench-"));
  try {
    // Every render runs from the scratch directory, where the stack files are (homelab's copied).
    fs.copyFileSync(path.join(ROOT, "Pulumi.homelab.yaml"), path.join(scratch, "Pulumi.homelab.yaml"));
    const render = (stack: string) => () => measureOnce(renderArgs(stack, path.join(scratch, `out-${stack}`)), scratch, scratch);
    // The floor runs on the same Node, with the render's node options, and as render's loader
    // (registerTypeScript.cjs) leaves it: the SDK's TypeScript compiler deferred to its first use.
    const deferTypeScript = ["-r", path.join(ROOT, "scripts", "deferSdkTypeScript.cjs")];
    const floorArgs = [...nodeOptions(renderCommand()), ...deferTypeScript, "-e", FLOOR_PACKAGES.map((p) => `require(${JSON.stringify(p)})`).join(";")];
    const [floor, homelab] = await measureInTurn(() => measureOnce(floorArgs, ROOT, scratch), render("homelab"));
    const [coldProgram, cmdRunFloor, homelabBesideCold] = await measureInTurn(coldProgramRun(scratch), coldProgramRun(scratch, cmdRunFloorProgram(scratch)), render("homelab"));
    // Each 1,000-user stack is compared with the homelab render run in turn with it.
    const generated = async (login: Login) => {
      for (const users of [1000, 500]) {
        fs.writeFileSync(path.join(scratch, `Pulumi.${login}${users}.yaml`), generatedStackFile(users, 20, login));
      }
      const [large, homelabBeside] = await measureInTurn(render(`${login}1000`), render("homelab"));
      render(`${login}500`)();
      const resources1000 = resourceCount(path.join(scratch, `out-${login}1000`));
      const resources500 = resourceCount(path.join(scratch, `out-${login}500`));
      return { large, homelabBeside, resources1000, resources500, perUser: (resources1000 - resources500) / 500 };
    };
    const local = await generated("local");
    const keycloak = await generated("keycloak");
    const ssh = await generated("ssh");

    const row = (name: string, m: Measurement, versus: Measurement, label: string) =>
      `${name.padEnd(40)} ${m.wallMs.toFixed(0).padStart(7)} ms ${m.maxRssMiB.toFixed(1).padStart(8)} MiB` +
      `   ${(m.wallMs / versus.wallMs).toFixed(2)}x time, ${(m.maxRssMiB / versus.maxRssMiB).toFixed(2)}x memory of ${label}`;
    const beside = (name: string, m: Measurement) => `${name} (${m.wallMs.toFixed(0)} ms, run in turn with it)`;
    console.log(`median of ${RUNS} runs each, node ${process.version}, ${os.cpus().length} cores; each ratio's two sides run in turn`);
    console.log(`${"floor (load the packages only)".padEnd(40)} ${floor.wallMs.toFixed(0).padStart(7)} ms ${floor.maxRssMiB.toFixed(1).padStart(8)} MiB`);
    console.log(row("render homelab", homelab, floor, "floor"));
    console.log(row("cold start: homelab under cmd/run", coldProgram, homelabBesideCold, beside("render", homelabBesideCold)));
    console.log(row("  cmd/run floor (packages, no resources)", cmdRunFloor, homelabBesideCold, "the same render"));
    console.log(row("render 1,000 users, 20 profiles", local.large, local.homelabBeside, beside("homelab", local.homelabBeside)));
    console.log(row("  same with Keycloak login", keycloak.large, keycloak.homelabBeside, beside("homelab", keycloak.homelabBeside)));
    console.log(row("  same, every user with an SSH key", ssh.large, ssh.homelabBeside, beside("homelab", ssh.homelabBeside)));
    for (const [label, result] of [["local login", local], ["Keycloak login", keycloak], ["SSH keys", ssh]] as const) {
      console.log(
        `resources with ${label}: ${result.resources500} for 500 users, ${result.resources1000} for 1,000 users: ${result.perUser} per user`,
      );
    }
    const sshPerUser = ssh.perUser - local.perUser;
    console.log(`resources per SSH user beyond what every user costs: ${sshPerUser}`);
    const targets = [
      { name: "homelab render time <= 1.5x floor", ok: homelab.wallMs <= 1.5 * floor.wallMs },
      { name: "homelab render memory <= 1.5x floor", ok: homelab.maxRssMiB <= 1.5 * floor.maxRssMiB },
      { name: "cold program under cmd/run time <= 1.5x homelab render", ok: coldProgram.wallMs <= 1.5 * homelabBesideCold.wallMs },
      { name: "1,000-user render time <= 2x homelab", ok: local.large.wallMs <= 2 * local.homelabBeside.wallMs },
      { name: "1,000-user render memory <= 2x homelab", ok: local.large.maxRssMiB <= 2 * local.homelabBeside.maxRssMiB },
      { name: "resources per user constant", ok: [local, keycloak, ssh].every((r) => Number.isInteger(r.perUser)) },
      { name: "1,000 Keycloak users render time <= 2x homelab", ok: keycloak.large.wallMs <= 2 * keycloak.homelabBeside.wallMs },
      { name: "1,000 SSH users render time <= 2x homelab", ok: ssh.large.wallMs <= 2 * ssh.homelabBeside.wallMs },
      { name: "at most 1 resource per SSH user", ok: sshPerUser <= 1 },
    ];
    for (const target of targets) console.log(`${target.ok ? "met   " : "MISSED"} ${target.name}`);
    return targets.every((t) => t.ok) ? 0 : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
