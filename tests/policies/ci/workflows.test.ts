// The GitHub workflows and the local action: valid for GitHub (action-validator checks them
// against the schemas GitHub uses), and held to the few rules that keep CI safe and reproducible.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { PROJECT_ROOT } from "../../harness/stackConfig";

const GITHUB = path.join(PROJECT_ROOT, ".github");
const VALIDATOR = path.join(PROJECT_ROOT, "node_modules", ".bin", "action-validator");
const WORKFLOWS = fs.readdirSync(path.join(GITHUB, "workflows")).filter((file) => /\.ya?ml$/.test(file)).sort();
const ACTIONS = fs.readdirSync(path.join(GITHUB, "actions")).map((name) => path.join("actions", name, "action.yml"));

function validate(file: string) {
  const result = spawnSync(VALIDATOR, [file], { cwd: PROJECT_ROOT, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = { needs?: string | string[]; steps?: Step[]; "runs-on"?: unknown; if?: string };
type Workflow = { on: Record<string, unknown>; permissions?: unknown; jobs: Record<string, Job> };
const load = (file: string) => YAML.parse(fs.readFileSync(path.join(GITHUB, "workflows", file), "utf8")) as Workflow;
const steps = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps ?? []);

it("has the test, preview, deploy and e2e workflows", () => {
  expect(WORKFLOWS).toEqual(["deploy.yml", "e2e.yml", "preview.yml", "test.yml"]);
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

  it("runs kind with NetworkPolicy enforced (kindnetd, kind v0.24 and later) in both jobs", () => {
    for (const job of ["dev-on-kind", "homes-on-kind"]) {
      const kind = e2e.jobs[job].steps!.find((step) => step.uses?.startsWith("helm/kind-action@"))!;
      const [minor] = /^v0\.(\d+)\./.exec(String(kind.with?.version))!.slice(1).map(Number);
      expect(minor).toBeGreaterThanOrEqual(24);
    }
  });

  it("runs every e2e script it has, and only scripts that exist", () => {
    const dir = path.join(GITHUB, "scripts", "e2e");
    const all = runs("homes-on-kind").join("\n");
    for (const script of fs.readdirSync(dir)) expect(all).toContain(`$SCRIPTS/${script}`);
    for (const [, used] of all.matchAll(/\$SCRIPTS\/([\w.-]+)/g)) expect(fs.existsSync(path.join(dir, used))).toBe(true);
    expect(e2e.jobs["homes-on-kind"]).toMatchObject({ env: { SCRIPTS: ".github/scripts/e2e" } });
  });

  it("proves the promise in order: NFS homes, SSH, NetworkPolicy, destroy and up, adoption, offboarding", () => {
    const job = "homes-on-kind";
    const steps = [
      at(job, "nfs-server.sh"),
      at(job, "stack.cjs\" prepare"),
      at(job, "pulumi up -s e2e --yes --policy-pack policies"),
      at(job, "ssh-check.sh\" alice"),
      at(job, "pulumi stack output homes"),
      at(job, "netpol-check.sh"),
      at(job, "pulumi destroy -s e2e"),
      at(job, "jupyterhub-pulumi/stack-"),
      at(job, '"$fingerprint" cat e2e-marker'),
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

const shellcheck = spawnSync("shellcheck", ["--version"]).status === 0 ? it : it.skip;
shellcheck("e2e.yml's scripts pass shellcheck, as bash runs them on the runner (bash -e, pipefail)", () => {
  const e2e = load("e2e.yml");
  const findings = Object.entries(e2e.jobs).flatMap(([job, { steps: jobSteps }]) =>
    (jobSteps ?? [])
      .filter((step) => step.run)
      .map((step) => ({ job, run: step.run!, result: spawnSync("shellcheck", ["--shell=bash", "--severity=warning", "-"], { input: `set -eo pipefail\n${step.run}`, encoding: "utf8" }) }))
      .filter(({ result }) => result.status !== 0)
      .map(({ job, result }) => `${job}: ${result.stdout}`),
  );
  expect(findings).toEqual([]);
});
