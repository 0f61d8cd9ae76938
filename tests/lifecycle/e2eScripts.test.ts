// The e2e job's edits of its stack (.github/scripts/e2e/stack.cjs), made here to the committed
// Pulumi.e2e.yaml: what the job deploys after each edit is valid config, offboarding bob is what
// the roster in state accepts, and a plain deletion of bob is what it refuses.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { roster, rosterProblems } from "../../components/lifecycle/roster";
import { formerHomes } from "../../components/storage/homeLocations";
import { namespacedConfig } from "../../settings/stackSettings";
import { parseSettings } from "../../settings/parseSettings";
import { flattenConfig, readStackFile } from "../../offline/pulumiStackFile";
import { PROJECT_ROOT } from "../harness/stackConfig";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { prepare, retire } = require("../../.github/scripts/e2e/stack.cjs") as {
  prepare: (text: string, options: { nfsServer: string; sshKey: string; sshHost: string; sshSourceRange: string; user?: string }) => string;
  retire: (text: string, name: string, note?: string) => string;
};

const STACK_FILE = path.join(PROJECT_ROOT, "Pulumi.e2e.yaml");
const committed = fs.readFileSync(STACK_FILE, "utf8");
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm4lCq0hGqkqz3y2m0d0H6b2Yb1m9Jm1p8x3xk0aDa1 e2e\n";
/** What the job finds on a runner whose kind network is 172.19.0.0/16. */
const RUN = { nfsServer: "172.19.0.1", sshKey: KEY, sshHost: "172.19.0.2", sshSourceRange: "172.19.0.1/32" };

/** The stack file's settings, read the way the Pulumi CLI reads it. */
function settingsOf(text: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-stack-"));
  try {
    fs.writeFileSync(path.join(dir, "Pulumi.e2e.yaml"), text);
    const { config, problems } = namespacedConfig(flattenConfig(readStackFile(path.join(dir, "Pulumi.e2e.yaml"))));
    expect(problems).toEqual([]);
    return parseSettings(config);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

it("points the stack at the runner's NFS server, the run's key and the kind node's address, keeping the comments", () => {
  const prepared = prepare(committed, RUN);
  const settings = settingsOf(prepared);
  expect(settings.storage).toMatchObject({ type: "nfs", server: "172.19.0.1", path: "/srv/e2e-homes" });
  expect(settings.users.find((u) => u.name === "alice")!.ssh!.publicKeys).toEqual([KEY.trim()]);
  expect(settings.ssh).toMatchObject({ host: "172.19.0.2", sourceRanges: ["172.19.0.1/32"], service: { type: "NodePort", nodePort: 30022 } });
  expect(prepared).toContain("# The end-to-end stack");
  expect(() => prepare(committed, { ...RUN, nfsServer: "172.19.0.1; rm -rf /" })).toThrow("not an NFS server address");
  expect(() => prepare(committed, { ...RUN, sshHost: "<address pending>" })).toThrow("not the kind node's IPv4 address");
  expect(() => prepare(committed, { ...RUN, sshSourceRange: "172.19.0.0/16/1" })).toThrow("not an IPv4 range");
  expect(() => prepare(committed, { ...RUN, sshSourceRange: "172.19.0.1" })).toThrow("not an IPv4 range");
});

it("offboards bob the way the roster in state accepts, and a plain deletion is refused", () => {
  const before = settingsOf(prepare(committed, RUN));
  const retired = retire(prepare(committed, RUN), "bob", "offboarded by the e2e run");
  const after = settingsOf(retired);
  expect(after.users.map((u) => u.name)).toEqual(["dev", "alice"]);
  expect(after.formerUsers).toEqual([{ name: "bob", note: "offboarded by the e2e run" }]);
  expect(rosterProblems(roster(before), roster(after))).toEqual([]);
  expect(formerHomes(after)).toEqual({ bob: { subPath: "bob", nfs: "172.19.0.1:/srv/e2e-homes/bob" } });

  const deleted = { ...after, formerUsers: [] };
  expect(rosterProblems(roster(before), roster(deleted))).toEqual([expect.stringContaining("'bob' was in jupyterhub:users at the last `pulumi up`")]);
  // Twice is an error of the config, not a second record.
  expect(() => settingsOf(retire(committed.replace("    - name: dev\n", "    - name: dev\n    - name: bob\n"), "bob"))).toThrow(/already listed|is a former user/);
});

it("runs as the workflow calls it, and says how to call it otherwise", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-stack-"));
  try {
    const file = path.join(dir, "Pulumi.e2e.yaml");
    fs.writeFileSync(file, committed);
    fs.writeFileSync(path.join(dir, "key.pub"), KEY);
    const script = path.join(PROJECT_ROOT, ".github", "scripts", "e2e", "stack.cjs");
    const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args, "--file", file], { encoding: "utf8" });
    expect(run("prepare", "--nfs-server", "172.19.0.1", "--ssh-key-file", path.join(dir, "key.pub"), "--ssh-host", "172.19.0.2", "--ssh-source-range", "172.19.0.1/32").status).toBe(0);
    expect(run("retire", "bob", "--note", "gone").status).toBe(0);
    expect(settingsOf(fs.readFileSync(file, "utf8")).formerUsers).toEqual([{ name: "bob", note: "gone" }]);
    const wrong = run("retire", "nobody");
    expect([wrong.status, wrong.stderr.trim()]).toEqual([2, "no user nobody in jupyterhub:users"]);
    expect(run("frobnicate").stderr).toMatch(/^usage: stack.cjs prepare/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
