// `npm run render` as a user runs it: a real process, files on disk, exit codes.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { parseArguments } from "../../scripts/render";
import { PROJECT_ROOT } from "../harness/stackConfig";

// This process takes only parseArguments from render.ts, which loads the program and the policy
// pack (~2.5 CPU-s under jest) only once it renders: the render runs in the command's own processes.

const REGISTER = path.join(PROJECT_ROOT, "scripts", "registerTypeScript.cjs");
const RENDER = path.join(PROJECT_ROOT, "scripts", "render.ts");

function runRender(args: string[], cwd = PROJECT_ROOT) {
  const result = spawnSync(process.execPath, ["-r", REGISTER, RENDER, ...args], { cwd, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

it("writes values.yaml and resources.json for a stack and prints a summary", () => {
  const out = path.join(scratch, "homelab");
  const { status, stdout, stderr } = runRender(["homelab", "--out", out]);
  expect(stderr).toBe("");
  expect(status).toBe(0);
  expect(fs.readdirSync(out).sort()).toEqual(["resources.json", "values.yaml"]);

  const values = YAML.parse(fs.readFileSync(path.join(out, "values.yaml"), "utf8"));
  expect(values.singleuser.profileList.map((p: { slug: string }) => p.slug)).toEqual(["minimal", "datascience", "workbench", "gpu"]);
  const resources = JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8"));
  expect(resources.map((r: { type: string }) => r.type)).toContain("kubernetes:helm.sh/v3:Release");
  for (const resource of resources) {
    // aliases and deleteBeforeReplace only where they are set (offline/recordedResource.ts).
    const keys = Object.keys(resource).filter((key) => key !== "aliases" && key !== "deleteBeforeReplace");
    expect(keys.sort()).toEqual(["custom", "dependsOn", "inputs", "name", "parent", "protect", "provider", "retainOnDelete", "type"]);
  }
  expect(resources.filter((r: { type: string }) => r.type === "keycloak:index/user:User").every((r: { deleteBeforeReplace?: boolean }) => r.deleteBeforeReplace)).toBe(true);
  expect(stdout).toContain(`stack homelab: ${resources.length} resources, chart 4.4.0\n`);
  expect(stdout).toMatch(/kubernetes:helm\.sh\/v3:Release\s+1/);
  expect(stdout).toContain("hub URL: https://jupyter.home.arpa/");
});

it("fails on bad config with every bad key on stderr, and writes nothing", () => {
  fs.writeFileSync(
    path.join(scratch, "Pulumi.broken.yaml"),
    YAML.stringify({
      config: {
        "jupyterhub:hub": { host: "Not A Host" },
        "jupyterhub:users": [{ name: "ada" }, { name: "ada" }],
        "jupyterhub:profiles": [{ slug: "x", displayName: "X", image: "busybox", cpu: { limit: "1" }, memory: { limit: "1Gi" } }],
        "jupyterhub:cullling": {},
      },
    }),
  );
  const { status, stdout, stderr } = runRender(["broken"], scratch);
  expect(status).toBe(1);
  expect(stdout).toBe("");
  expect(stderr).toContain("jupyterhub:cullling: unknown key; did you mean 'culling'?");
  expect(stderr).toContain("jupyterhub:hub.host: must be a lower-case DNS hostname");
  expect(stderr).toContain("jupyterhub:profiles[0].image: 'busybox' has no tag");
  expect(stderr).toContain("jupyterhub:users[1].name: 'ada' is already listed at users[0]");
  expect(fs.existsSync(path.join(scratch, "rendered"))).toBe(false);
});

it("names the stacks it knows when the stack file is missing", () => {
  const { status, stderr } = runRender(["nosuch"]);
  expect(status).toBe(1);
  expect(stderr).toMatch(/no stack file Pulumi\.nosuch\.yaml; stacks here: .*dev.*homelab/);
});

describe("parseArguments", () => {
  it("defaults the output to rendered/<stack>", () => {
    expect(parseArguments(["dev"])).toEqual({ stack: "dev", out: path.join("rendered", "dev") });
    expect(parseArguments(["dev", "--out", "/tmp/x"])).toEqual({ stack: "dev", out: "/tmp/x" });
  });

  it.each([[[]], [["--out"]], [["dev", "--out"]], [["dev", "homelab"]], [["dev", "--verbose"]]])("rejects %j", (argv) => {
    expect(() => parseArguments(argv)).toThrow(/usage: npm run render -- <stack> \[--out <dir>\]/);
  });
});
