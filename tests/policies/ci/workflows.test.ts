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

  it("only needs jobs that exist, and runs Node 20", () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const need of [job.needs ?? []].flat()) expect(Object.keys(workflow.jobs)).toContain(need);
    }
    for (const step of steps(workflow)) if (step.uses?.startsWith("actions/setup-node@")) expect(step.with?.["node-version"]).toBe("20");
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
  const scripts = [path.join(GITHUB, "scripts", "render-stacks.sh"), ...ACTIONS.map((a) => path.join(GITHUB, path.dirname(a), "stack-credentials.sh"))];
  for (const script of scripts) {
    const result = spawnSync("bash", ["-n", script], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  }
});
