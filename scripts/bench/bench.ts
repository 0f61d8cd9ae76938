// npm run bench: wall time and peak memory of `npm run render` for homelab and for generated
// 1,000-user / 20-profile stacks, next to the floor (a Node process that only loads the packages
// the render loads). Each is a fresh process, run BENCH_RUNS times (default 5) after a warm-up;
// medians are reported. Exits 1 when a target is missed.
//
// The targets (issue #2) are checked on the generated stack with the hub's local login. The same
// stack with Keycloak login is measured and printed too: there every user is a Keycloak user
// resource, and each resource costs the Pulumi SDK about a millisecond even under mocks.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { generatedStackFile, type Login } from "./generatedStack";

const ROOT = path.join(__dirname, "..", "..");
const REGISTER = path.join(ROOT, "scripts", "registerTypeScript.cjs");
const REPORT_USAGE = path.join(__dirname, "reportUsage.cjs");
const RENDER = path.join(ROOT, "scripts", "render.ts");
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
  "typescript",
  "yaml",
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

function measure(args: string[], cwd: string, scratch: string): Measurement {
  measureOnce(args, cwd, scratch); // warm-up: file cache, transpile cache
  const runs = Array.from({ length: RUNS }, () => measureOnce(args, cwd, scratch));
  return { wallMs: median(runs.map((r) => r.wallMs)), maxRssMiB: median(runs.map((r) => r.maxRssMiB)) };
}

function renderArgs(stack: string, out: string): string[] {
  return ["-r", REGISTER, RENDER, stack, "--out", out];
}

function resourceCount(out: string): number {
  return (JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as unknown[]).length;
}

function main(): number {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "jupyterhub-bench-"));
  try {
    const generated = (login: Login) => {
      for (const users of [1000, 500]) {
        fs.writeFileSync(path.join(scratch, `Pulumi.${login}${users}.yaml`), generatedStackFile(users, 20, login));
      }
      const large = measure(renderArgs(`${login}1000`, path.join(scratch, `out-${login}1000`)), scratch, scratch);
      measureOnce(renderArgs(`${login}500`, path.join(scratch, `out-${login}500`)), scratch, scratch);
      const resources1000 = resourceCount(path.join(scratch, `out-${login}1000`));
      const resources500 = resourceCount(path.join(scratch, `out-${login}500`));
      return { large, resources1000, resources500, perUser: (resources1000 - resources500) / 500 };
    };
    const floor = measure(["-e", FLOOR_PACKAGES.map((p) => `require(${JSON.stringify(p)})`).join(";")], ROOT, scratch);
    const homelab = measure(renderArgs("homelab", path.join(scratch, "out-homelab")), ROOT, scratch);
    const local = generated("local");
    const keycloak = generated("keycloak");
    const ssh = generated("ssh");

    const row = (name: string, m: Measurement, versus: Measurement, label: string) =>
      `${name.padEnd(40)} ${m.wallMs.toFixed(0).padStart(7)} ms ${m.maxRssMiB.toFixed(1).padStart(8)} MiB` +
      `   ${(m.wallMs / versus.wallMs).toFixed(2)}x time, ${(m.maxRssMiB / versus.maxRssMiB).toFixed(2)}x memory of ${label}`;
    console.log(`median of ${RUNS} runs each, node ${process.version}, ${os.cpus().length} cores`);
    console.log(`${"floor (load the packages only)".padEnd(40)} ${floor.wallMs.toFixed(0).padStart(7)} ms ${floor.maxRssMiB.toFixed(1).padStart(8)} MiB`);
    console.log(row("render homelab", homelab, floor, "floor"));
    console.log(row("render 1,000 users, 20 profiles", local.large, homelab, "homelab"));
    console.log(row("  same with Keycloak login (no target)", keycloak.large, homelab, "homelab"));
    console.log(row("  same, every user with an SSH key", ssh.large, homelab, "homelab"));
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
      { name: "1,000-user render time <= 2x homelab", ok: local.large.wallMs <= 2 * homelab.wallMs },
      { name: "1,000-user render memory <= 2x homelab", ok: local.large.maxRssMiB <= 2 * homelab.maxRssMiB },
      { name: "resources per user constant", ok: [local, keycloak, ssh].every((r) => Number.isInteger(r.perUser)) },
      { name: "1,000 SSH users render time <= 2x homelab", ok: ssh.large.wallMs <= 2 * homelab.wallMs },
      { name: "at most 1 resource per SSH user", ok: sshPerUser <= 1 },
    ];
    for (const target of targets) console.log(`${target.ok ? "met   " : "MISSED"} ${target.name}`);
    return targets.every((t) => t.ok) ? 0 : 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) process.exitCode = main();
