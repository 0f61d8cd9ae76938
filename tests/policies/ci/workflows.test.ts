// The GitHub workflows and the local action: valid for GitHub (action-validator checks them
// against the schemas GitHub uses), and held to the few rules that keep CI safe and reproducible.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import * as actionValidator from "@action-validator/core";
import { PROJECT_ROOT } from "../../harness/stackConfig";

const GITHUB = path.join(PROJECT_ROOT, ".github");
const VALIDATOR = path.join(PROJECT_ROOT, "node_modules", ".bin", "action-validator");
const WORKFLOWS = fs.readdirSync(path.join(GITHUB, "workflows")).filter((file) => /\.ya?ml$/.test(file)).sort();
const ACTIONS = fs.readdirSync(path.join(GITHUB, "actions")).map((name) => path.join("actions", name, "action.yml"));

/** The action-validator command itself: a process that loads the checker for one file. */
function validateWithCli(file: string) {
  const result = spawnSync(VALIDATOR, [file], { cwd: PROJECT_ROOT, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * What the command does (@action-validator/cli cli.mjs), in this process: the same checker, an
 * action or a workflow by the file's name, exit 1 with the result as JSON when it has errors. A
 * process per file cost about 0.4 CPU-s each, most of it loading the checker again.
 */
function validate(file: string) {
  const output: string[] = [];
  const consoles = { log: console.log, warn: console.warn, error: console.error };
  // What the checker prints (its warnings) goes to the output, as the command's would.
  console.log = console.warn = console.error = (...args: unknown[]) => void output.push(args.join(" "));
  try {
    const contents = fs.readFileSync(file, "utf8");
    const result = /action\.ya?ml$/.test(file) ? actionValidator.validateAction(contents) : actionValidator.validateWorkflow(contents);
    if (result.errors.length > 0) return { status: 1, output: [...output, JSON.stringify(result, null, 2)].join("\n") };
    return { status: 0, output: output.join("\n") };
  } finally {
    Object.assign(console, consoles);
  }
}

type Step = { name?: string; uses?: string; run?: string; shell?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Defaults = { run?: { shell?: string } };
type Job = { needs?: string | string[]; steps?: Step[]; "runs-on"?: unknown; if?: string; defaults?: Defaults; env?: Record<string, string> };
type Workflow = { on: Record<string, unknown>; permissions?: unknown; defaults?: Defaults; jobs: Record<string, Job> };
const load = (file: string) => YAML.parse(fs.readFileSync(path.join(GITHUB, "workflows", file), "utf8")) as Workflow;
const steps = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);

/**
 * How GitHub runs a `run:` script on a Linux runner, by the shell in force (the step's, else the
 * job's, else the workflow's defaults): `bash` named runs `bash --noprofile --norc -eo pipefail {0}`,
 * no shell at all `bash -e {0}` (docs.github.com, "Workflow syntax", jobs.<job_id>.steps[*].shell).
 * Returns the `set` line that makes a script behave the same under plain bash.
 */
export function githubShellOptions(workflow: Workflow, job: Job, step: Step): string {
  const shell = step.shell ?? job.defaults?.run?.shell ?? workflow.defaults?.run?.shell;
  if (shell === undefined) return "set -e";
  if (shell === "bash") return "set -eo pipefail";
  throw new Error(`a step runs in '${shell}'; this test knows bash only`);
}

/** Every run step with the options GitHub gives it. */
const runSteps = (workflow: Workflow) =>
  Object.entries(workflow.jobs).flatMap(([name, job]) =>
    (job.steps ?? []).filter((step) => step.run).map((step) => ({ job: name, step, options: githubShellOptions(workflow, job, step) })),
  );

it("has the test, preview, deploy, e2e and images workflows", () => {
  expect(WORKFLOWS).toEqual(["deploy.yml", "e2e.yml", "images.yml", "preview.yml", "test.yml"]);
});

it.each([...WORKFLOWS.map((file) => path.join("workflows", file)), ...ACTIONS])("action-validator accepts %s", (file) => {
  const { status, output } = validate(path.join(GITHUB, file));
  expect(output).not.toMatch(/"errors"/);
  expect(status).toBe(0);
});

it("action-validator rejects a broken workflow (the check can fail)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workflow-"));
  try {
    const file = path.join(dir, "broken.yml");
    // A step may not both use an action and run a script, and a job needs runs-on.
    fs.writeFileSync(file, "name: broken\non: push\njobs:\n  test:\n    steps:\n      - uses: actions/checkout@v7\n        run: npm test\n");
    const { status, output } = validate(file);
    expect(status).not.toBe(0);
    expect(output).toContain('"errors"');
    // The command agrees: what the in-process check stands for.
    const cli = validateWithCli(file);
    expect(cli.status).not.toBe(0);
    expect(cli.output).toContain('"errors"');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe.each(WORKFLOWS)("%s", (file) => {
  const workflow = load(file);

  it("pins every action to a major version or a commit, or uses a local one", () => {
    for (const { uses } of steps(workflow)) {
      if (uses) expect(uses).toMatch(/^(\.\/.+|[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40}))$/);
    }
  });

  it("runs every script in bash with pipefail (defaults.run.shell: bash), no step in another shell", () => {
    expect(workflow.defaults?.run?.shell).toBe("bash");
    for (const { options } of runSteps(workflow)) expect(options).toBe("set -eo pipefail");
  });

  it("gives every step that runs Pulumi (and so may download its plugins) the job's GITHUB_TOKEN", () => {
    for (const step of steps(workflow)) {
      const commands = (step.run ?? "").replace(/^\s*#.*$/gm, "");
      const runsPulumi = /\bpulumi (up|destroy|preview)\b/.test(commands) || (step.uses?.startsWith("pulumi/actions@") && step.with?.command !== undefined);
      if (runsPulumi) expect([step.name, step.env?.GITHUB_TOKEN]).toEqual([step.name, "${{ github.token }}"]);
    }
  });

  it("declares its token permissions and never runs pull request code with a base-branch token", () => {
    expect(workflow.permissions).toBeDefined();
    expect(Object.keys(workflow.on)).not.toContain("pull_request_target");
  });

  it("puts no ${{ }} expression in a script (values reach scripts as environment variables)", () => {
    for (const { run } of steps(workflow)) if (run) expect(run).not.toContain("${{");
  });

  it("only needs jobs that exist, and runs Node 24 (the LTS package.json and the node devDependency name)", () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const need of [job.needs ?? []].flat()) expect(Object.keys(workflow.jobs)).toContain(need);
    }
    for (const step of steps(workflow)) if (step.uses?.startsWith("actions/setup-node@")) expect(step.with?.["node-version"]).toBe("24");
  });
});

it("runs the pull request's stacks through render and the real stacks through the policy pack", () => {
  const preview = load("preview.yml");
  const runs = steps(preview).map((step) => step.run ?? "").join("\n");
  expect(runs).toContain(".github/scripts/render-stacks.sh base");
  expect(runs).toContain(".github/scripts/render-stacks.sh head");
  const pulumi = steps(preview).find((step) => step.uses?.startsWith("pulumi/actions@"))!;
  expect(pulumi.with).toMatchObject({ command: "preview", diff: true, policyPacks: "policies", "comment-on-pr": true });
  expect(preview.jobs["pulumi-preview"].if).toContain("vars.PULUMI_PREVIEW_STACKS");
  expect(preview.jobs["pulumi-preview"]["runs-on"]).toContain("self-hosted");
});

it("has shell scripts bash can parse", () => {
  const e2e = fs.readdirSync(path.join(GITHUB, "scripts", "e2e")).filter((f) => f.endsWith(".sh")).map((f) => path.join(GITHUB, "scripts", "e2e", f));
  const scripts = [path.join(GITHUB, "scripts", "render-stacks.sh"), ...ACTIONS.map((a) => path.join(GITHUB, path.dirname(a), "stack-credentials.sh")), ...e2e];
  for (const script of scripts) {
    const result = spawnSync("bash", ["-n", script], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  }
});

describe("e2e.yml", () => {
  const e2e = load("e2e.yml");
  const runs = (job: string) => (e2e.jobs[job].steps ?? []).map((step) => step.run ?? "");
  const at = (job: string, text: string) => {
    const index = runs(job).findIndex((run) => run.includes(text));
    expect(index).toBeGreaterThanOrEqual(0);
    return index;
  };

  it("runs kind without kindnetd's DNS race, on the node image built for that kind, with the node's kubectl, in both jobs", () => {
    // kindnetd (and with it NetworkPolicy and the DNS fix) ships in the node image, so the image is
    // the one the kind release names: pkg/apis/config/defaults/image.go at the tag in kubernetes-sigs/kind.
    const NODE_IMAGES: Record<string, string> = {
      "v0.31.0": "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f",
    };
    for (const job of ["dev-on-kind", "homes-on-kind"]) {
      const kind = e2e.jobs[job].steps!.find((step) => step.uses?.startsWith("helm/kind-action@"))!;
      const version = String(kind.with?.version);
      // v0.25.0: "kindnetd: kube-network-policies bump to 0.6.0 to fix dns race" (kind commit 36f6293).
      const [minor] = /^v0\.(\d+)\.\d+$/.exec(version)!.slice(1).map(Number);
      expect(minor).toBeGreaterThanOrEqual(25);
      expect(kind.with?.node_image).toBe(NODE_IMAGES[version]);
      const node = /^kindest\/node:v1\.(\d+)\./.exec(String(kind.with?.node_image))![1];
      expect(String(kind.with?.kubectl_version)).toMatch(new RegExp(`^v1\\.${node}\\.\\d+$`));
    }
  });

  it("runs every e2e script it has, and only scripts that exist", () => {
    const dir = path.join(GITHUB, "scripts", "e2e");
    const all = [...runs("dev-on-kind"), ...runs("homes-on-kind")].join("\n");
    for (const script of fs.readdirSync(dir)) expect(all).toContain(`$SCRIPTS/${script}`);
    for (const [, used] of all.matchAll(/\$SCRIPTS\/([\w.-]+)/g)) expect(fs.existsSync(path.join(dir, used))).toBe(true);
    for (const job of ["dev-on-kind", "homes-on-kind"]) expect(e2e.jobs[job]).toMatchObject({ env: { SCRIPTS: ".github/scripts/e2e" } });
  });

  it("reaches the hub through a port-forward that is restarted when it drops, and SSH without one", () => {
    const all = [...runs("dev-on-kind"), ...runs("homes-on-kind")].join("\n");
    expect(all).not.toMatch(/kubectl[^\n]* port-forward/);
    expect(all).toContain('"$SCRIPTS/forward.sh" start proxy');
  });

  it("has a control beside each check, so that each can fail", () => {
    const homes = runs("homes-on-kind").join("\n");
    // SSH the way users go, to an endpoint compared with one built from kind and the Service.
    expect(homes).toContain("--ssh-host \"$node_address\" --ssh-source-range \"$NFS_SERVER/32\"");
    expect(homes).toContain('test "$endpoint" = "alice@$NODE_ADDRESS -p $node_port"');
    expect(homes).toContain('"$SCRIPTS/ssh-check.sh" login "$endpoint"');
    expect(homes).toContain('"$SCRIPTS/ssh-check.sh" refused "$ALICE_SSH" "$RUNNER_TEMP/unknown_key"');
    expect(homes).toContain('"$SCRIPTS/ssh-check.sh" refused "$BOB_SSH" "$RUNNER_TEMP/e2e_key"');
    // Denials beside open flows (the probe pod, bob's own sshd) and the servers' reach to the gateway and to bob.
    expect(homes).toMatch(/netpol-check\.sh" "\$NAMESPACE" jupyterhub alice bob "\$NFS_SERVER" "\$KIND_NODE" "\$NODE_ADDRESS" "\$NODE_PORT" "\$IMAGE"/);
    // bob runs before he is retired; formerHomes is compared with the home he had.
    const offboarding = runs("homes-on-kind")[at("homes-on-kind", 'stack.cjs" retire bob')];
    expect(offboarding.indexOf("hub.sh\" running bob")).toBeGreaterThanOrEqual(0);
    expect(offboarding.indexOf("hub.sh\" running bob")).toBeLessThan(offboarding.indexOf("retire bob"));
    expect(offboarding).toContain('"$RUNNER_TEMP/bob-home.json"');
    // A home kept through something that deletes it when delete_pvc is on: the hub deleting the user.
    const dev = runs("dev-on-kind")[at("dev-on-kind", "hub.sh\" delete-user alice")];
    expect(dev.indexOf("home-claim.sh\" uid")).toBeLessThan(dev.indexOf("delete-user alice"));
    expect(dev.indexOf("delete-user alice")).toBeLessThan(dev.indexOf("home-claim.sh\" kept"));
    expect(dev).toContain("cat e2e-marker)\" = kept");
    expect(runs("dev-on-kind").join("\n")).toContain("hub.sh\" wrong-password-refused dev");
  });

  it("proves the promise in order: NFS homes, SSH, NetworkPolicy, destroy and up, adoption, offboarding", () => {
    const job = "homes-on-kind";
    const steps = [
      at(job, "nfs-server.sh"),
      at(job, "stack.cjs\" prepare"),
      at(job, "pulumi up -s e2e --yes --policy-pack policies"),
      at(job, "ssh-check.sh\" login \"$endpoint\""),
      at(job, "ssh-check.sh\" refused"),
      at(job, "pulumi stack output homes -s e2e --json | tee"),
      at(job, "netpol-check.sh"),
      at(job, "pulumi destroy -s e2e"),
      at(job, "jupyterhub-pulumi/stack-"),
      at(job, '"$FINGERPRINT" cat e2e-marker'),
      at(job, "stack.cjs\" retire bob"),
    ];
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    const destroy = runs(job)[at(job, "pulumi destroy -s e2e")];
    expect(destroy).toContain("kept-after-destroy.sh");
    const offboarding = runs(job)[at(job, "stack.cjs\" retire bob")];
    for (const check of ["wait-stopped bob", "token-refused", "login-refused bob", "formerHomes"]) expect(offboarding).toContain(check);
  });

  it("deploys the committed e2e stack, and the dev job still deploys dev", () => {
    expect(fs.existsSync(path.join(PROJECT_ROOT, "Pulumi.e2e.yaml"))).toBe(true);
    expect(runs("dev-on-kind").join("\n")).toContain("pulumi up -s dev --yes --policy-pack policies");
    const paths = (e2e.on.pull_request as { paths: string[] }).paths;
    expect(paths).toEqual(expect.arrayContaining(["Pulumi.e2e.yaml", ".github/scripts/e2e/**", "images/base/**"]));
  });
});

describe("images.yml", () => {
  const images = load("images.yml");
  const job = images.jobs.publish as Job & { permissions?: Record<string, string> };
  const publish = job.steps!.find((step) => step.run?.includes("scripts/publishImages.ts"))!;
  const index = (step: Step) => job.steps!.indexOf(step);

  it("publishes from main and release tags, never from a pull request's code", () => {
    expect(images.on.push).toEqual({ branches: ["main"], tags: ["v*"] });
    expect(Object.keys(images.on).sort()).toEqual(["push", "workflow_dispatch"]);
    // Only the job may write packages, with the job's own token.
    expect(images.permissions).toEqual({ contents: "read" });
    expect(job.permissions).toEqual({ contents: "read", packages: "write" });
  });

  it("runs scripts/publishImages.ts with the pushed ref and owner, after a builder that attaches provenance and a GHCR login", () => {
    expect(publish.run).toContain("node -r ./scripts/registerTypeScript.cjs scripts/publishImages.ts");
    expect(publish.run).toContain('--owner "$OWNER" --ref "$REF" --source "$SOURCE"');
    expect(publish.run).toContain('--summary "$GITHUB_STEP_SUMMARY"');
    expect(publish.env).toMatchObject({ OWNER: "${{ github.repository_owner }}", REF: "${{ github.ref }}" });
    const builder = job.steps!.find((step) => step.run?.includes("docker buildx create"))!;
    expect(builder.run).toContain("--driver docker-container --use");
    const login = job.steps!.find((step) => step.run?.includes("docker login ghcr.io"))!;
    expect(login.env).toMatchObject({ TOKEN: "${{ github.token }}" });
    expect(login.run).toContain("--password-stdin");
    expect(index(builder)).toBeLessThan(index(publish));
    expect(index(login)).toBeLessThan(index(publish));
    const logout = job.steps!.find((step) => step.run?.includes("docker logout ghcr.io")) as Step & { if?: string };
    expect([index(logout) > index(publish), logout.if]).toEqual([true, "always()"]);
    expect(fs.existsSync(path.join(PROJECT_ROOT, "scripts", "publishImages.ts"))).toBe(true);
  });
});

it("knows how GitHub runs a step: pipefail only where bash is named", () => {
  const bare: Workflow = { on: {}, jobs: { j: { steps: [{ run: "false | true" }] } } };
  const named: Workflow = { ...bare, defaults: { run: { shell: "bash" } } };
  expect(githubShellOptions(bare, bare.jobs.j, bare.jobs.j.steps![0])).toBe("set -e");
  expect(githubShellOptions(named, named.jobs.j, named.jobs.j.steps![0])).toBe("set -eo pipefail");
  expect(() => githubShellOptions(bare, bare.jobs.j, { run: "x", shell: "pwsh" })).toThrow("knows bash only");
  // What the options change: a failure before a pipe fails the step only with pipefail.
  expect(spawnSync("bash", ["-c", "set -e\nfalse | true"]).status).toBe(0);
  expect(spawnSync("bash", ["-c", "set -eo pipefail\nfalse | true"]).status).not.toBe(0);
});

const shellcheck = spawnSync("shellcheck", ["--version"]).status === 0 ? it : it.skip;

/**
 * shellcheck's findings in every workflow's run steps, by workflow file, each naming its job and
 * step. Each step's script, after the options GitHub runs it with, is a file of its own, and one
 * shellcheck process checks them all (each file on its own, as bash): a process per step cost
 * about 45 ms of CPU each, most of it shellcheck starting.
 */
let shellcheckFindings: Map<string, string[]> | undefined;
function shellcheckAll(): Map<string, string[]> {
  if (shellcheckFindings) return shellcheckFindings;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shellcheck-"));
  try {
    const scripts = new Map<string, { file: string; job: string; step: string; lines: string[] }>();
    for (const file of WORKFLOWS) {
      const workflow = load(file);
      for (const { job, step, options } of runSteps(workflow)) {
        const script = path.join(dir, `${scripts.size}.sh`);
        fs.writeFileSync(script, `${options}\n${step.run}`);
        const name = step.name ?? `step ${workflow.jobs[job].steps!.indexOf(step) + 1}`;
        scripts.set(script, { file, job, step: name, lines: step.run!.split("\n") });
      }
    }
    const result = spawnSync("shellcheck", ["--shell=bash", "--severity=warning", "--format=json1", ...scripts.keys()], { encoding: "utf8" });
    // 0: nothing found, 1: findings; anything else is shellcheck failing to check at all.
    if (result.status !== 0 && result.status !== 1) throw new Error(`shellcheck exited ${result.status}: ${result.stderr}${result.stdout}`);
    type Comment = { file: string; line: number; column: number; level: string; code: number; message: string };
    const { comments } = JSON.parse(result.stdout) as { comments: Comment[] };
    if (result.status === 1 && comments.length === 0) throw new Error(`shellcheck failed with no findings: ${result.stderr}`);
    shellcheckFindings = new Map(WORKFLOWS.map((file) => [file, []]));
    for (const { file: script, line, column, level, code, message } of comments) {
      const { file, job, step, lines } = scripts.get(script)!;
      // The script's first line is the options; its line 2 is the step's line 1.
      const source = line === 1 ? "(the shell options GitHub adds)" : lines[line - 2];
      shellcheckFindings.get(file)!.push(`${job} / ${step}, line ${line - 1} column ${column}: SC${code} (${level}) ${message}\n    ${source}`);
    }
    return shellcheckFindings;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

shellcheck.each(WORKFLOWS)("%s: every script passes shellcheck, run as GitHub runs it", (file) => {
  expect(shellcheckAll().get(file)).toEqual([]);
});
