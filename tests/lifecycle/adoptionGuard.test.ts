// The adoption guard as the dynamic provider host calls it: `check` with the state's roster and the
// config's, `create` and `update` reading the kept objects with a stand-in kubectl.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { provider as guardProvider } from "../../components/lifecycle/providers/adoptionGuard.cjs";
import { adoptableObjects, adoptionProblem, ownerLabels, stackLabelValue, type AdoptedObject } from "../../components/lifecycle/ownership";
import { roster, rosterProblems, type Roster } from "../../components/lifecycle/roster";
import { parseSettings } from "../../settings/parseSettings";
import { minimalConfig, type RawConfig } from "../fixtures/configs";

const labels = ownerLabels("homelab");
const namespace: AdoptedObject = { kind: "namespace", name: "jupyterhub" };
const claim: AdoptedObject = { kind: "persistentvolumeclaim", name: "homes", namespace: "jupyterhub" };

describe("ownership", () => {
  it("labels objects with the program's and the stack's names", () => {
    expect(labels).toEqual({ "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "jupyterhub", "jupyterhub-pulumi/stack": "homelab" });
    expect(stackLabelValue("a".repeat(70))).toMatch(/^a{50}-[0-9a-f]{8}$/);
    expect(stackLabelValue("org.prod_1")).toBe("org.prod_1");
  });

  it("adopts what does not exist or carries every label, and names what it refuses with how to take it over", () => {
    expect(adoptionProblem(namespace, undefined, labels)).toBeUndefined();
    expect(adoptionProblem(namespace, { metadata: { labels: { ...labels, extra: "x" } } }, labels)).toBeUndefined();
    expect(adoptionProblem(claim, { metadata: { labels: { ...labels, "jupyterhub-pulumi/stack": "dev" } } }, labels)).toBe(
      "persistentvolumeclaim jupyterhub/homes exists and is not this stack's (jupyterhub-pulumi/stack=dev); refusing to take it over. " +
        "Pick another name in the stack config, or, if it is this stack's (kept by an earlier destroy, or made before these labels existed), label it: " +
        "kubectl label persistentvolumeclaim homes -n jupyterhub --overwrite app.kubernetes.io/managed-by=pulumi app.kubernetes.io/part-of=jupyterhub jupyterhub-pulumi/stack=homelab",
    );
    expect(adoptionProblem(namespace, { metadata: {} }, labels)).toMatch(
      /^namespace jupyterhub exists and is not this stack's \(no app.kubernetes.io\/managed-by, no app.kubernetes.io\/part-of, no jupyterhub-pulumi\/stack\)/,
    );
  });

  it("guards the namespace, and with NFS the homes volume and claim", () => {
    const nfs = { volume: "jupyterhub-homes", claim: "homes" };
    expect(adoptableObjects({ hub: { namespace: "jupyterhub" }, storage: { type: "dynamic" } }, nfs)).toEqual([namespace]);
    expect(adoptableObjects({ hub: { namespace: "jupyterhub" }, storage: { type: "nfs" } }, nfs)).toEqual([
      namespace,
      { kind: "persistentvolume", name: "jupyterhub-homes" },
      claim,
    ]);
  });
});

describe("the roster in state", () => {
  const rosterOf = (users: RawConfig[], formerUsers: RawConfig[] = []): Roster => roster(parseSettings({ ...minimalConfig(), users, formerUsers }));
  const before = rosterOf([{ name: "ada" }, { name: "bob" }, { name: "aiko", renamedFrom: ["aiko.tanaka"] }]);

  it("accepts a first deployment, an unchanged config, a recorded departure and a rename", () => {
    expect(rosterProblems(undefined, before)).toEqual([]);
    expect(rosterProblems(before, before)).toEqual([]);
    expect(rosterProblems(before, rosterOf([{ name: "ada" }, { name: "aiko", renamedFrom: ["aiko.tanaka"] }], [{ name: "bob" }]))).toEqual([]);
    expect(rosterProblems(before, rosterOf([{ name: "ada" }, { name: "robert", renamedFrom: ["bob"] }, { name: "aiko", renamedFrom: ["aiko.tanaka"] }]))).toEqual([]);
  });

  it("refuses a user who just disappears, and a renamed user losing their home", () => {
    expect(rosterProblems(before, rosterOf([{ name: "ada" }, { name: "aiko" }]))).toEqual([
      "'bob' was in jupyterhub:users at the last `pulumi up` and is now in neither jupyterhub:users nor jupyterhub:formerUsers. " +
        "Add { name: bob } to jupyterhub:formerUsers: their servers are stopped and tokens revoked, their home and Vault secrets are kept, and the name stays theirs. " +
        "If they were renamed, list 'bob' in renamedFrom of their new name instead.",
      "aiko's home was aiko.tanaka's at the last `pulumi up` (renamedFrom), and would now be aiko's: keep 'aiko.tanaka' first in renamedFrom of aiko's entry (in jupyterhub:users or jupyterhub:formerUsers) as long as that home is kept",
    ]);
  });

  it("lets a rename be declared late, for a user who started with an empty home", () => {
    const late = rosterOf([{ name: "ada" }, { name: "bob", renamedFrom: ["robert"] }, { name: "aiko", renamedFrom: ["aiko.tanaka"] }]);
    expect(rosterProblems(before, late)).toEqual([]);
  });

  it("fails the provider's check, naming the property, as the engine shows it", async () => {
    const inputs = (r: Roster) => ({ kubectl: ["kubectl"], objects: [], labels, roster: r });
    const result = await guardProvider.check(inputs(before), inputs(rosterOf([{ name: "ada" }, { name: "aiko", renamedFrom: ["aiko.tanaka"] }])));
    expect(result.failures).toEqual([{ property: "roster", reason: expect.stringContaining("'bob' was in jupyterhub:users") }]);
    expect((await guardProvider.check({}, inputs(before))).failures).toEqual([]);
  });
});

describe("adopting kept objects", () => {
  let dir: string;
  let kubectl: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubectl-"));
    kubectl = path.join(dir, "kubectl");
    // Answers `get <kind> <name> [--namespace ns] --output json --ignore-not-found` from files
    // named <kind>-<name>.json (kubectl prints nothing for a missing object with --ignore-not-found).
    fs.writeFileSync(
      kubectl,
      [
        "#!/bin/sh",
        `echo "$@" >> "${dir}/calls"`,
        'while [ "$1" != get ]; do shift; done',
        `[ -f "${dir}/fail" ] && { echo "Unable to connect to the server" >&2; exit 1; }`,
        `f="${dir}/$2-$3.json"; [ -f "$f" ] && cat "$f"; exit 0`,
      ].join("\n"),
      { mode: 0o755 },
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const inputs = (objects: AdoptedObject[] = [namespace, claim]) => ({ kubectl: [kubectl, "--context", "kind-e2e"], objects, labels, roster: { users: [], formerUsers: [], homes: {} } });
  const exists = (object: AdoptedObject, objectLabels: Record<string, string>) =>
    fs.writeFileSync(path.join(dir, `${object.kind}-${object.name}.json`), JSON.stringify({ kind: "x", metadata: { name: object.name, labels: objectLabels } }));

  it("creates when nothing exists or what exists is this stack's, asking the stack's cluster", async () => {
    await expect(guardProvider.create(inputs())).resolves.toMatchObject({ id: "adoption-guard" });
    exists(namespace, labels);
    exists(claim, labels);
    await expect(guardProvider.create(inputs())).resolves.toMatchObject({ id: "adoption-guard" });
    expect(fs.readFileSync(path.join(dir, "calls"), "utf8").split("\n")[1]).toBe(
      "--context kind-e2e get persistentvolumeclaim homes --namespace jupyterhub --output json --ignore-not-found",
    );
  });

  it("refuses, naming each object, what exists without the stack's labels", async () => {
    exists(namespace, { "kubernetes.io/metadata.name": "jupyterhub" });
    exists(claim, { ...labels, "jupyterhub-pulumi/stack": "dev" });
    await expect(guardProvider.create(inputs())).rejects.toThrow(
      /^namespace jupyterhub exists and is not this stack's[^\n]*\npersistentvolumeclaim jupyterhub\/homes exists and is not this stack's \(jupyterhub-pulumi\/stack=dev\)/,
    );
  });

  it("refuses when it cannot look, rather than adopting blind", async () => {
    fs.writeFileSync(path.join(dir, "fail"), "");
    await expect(guardProvider.create(inputs([namespace]))).rejects.toThrow(
      `cannot check whether namespace jupyterhub may be adopted (${kubectl} --context kind-e2e get namespace jupyterhub --output json --ignore-not-found): Unable to connect to the server`,
    );
    await expect(guardProvider.create({ ...inputs([namespace]), kubectl: [path.join(dir, "no-kubectl")] })).rejects.toThrow(/ENOENT/);
  });

  it("checks again on update only when what it guards changed, and is never replaced", async () => {
    exists(namespace, {});
    await expect(guardProvider.update("adoption-guard", inputs([namespace]), inputs([namespace]))).resolves.toEqual({ outs: inputs([namespace]) });
    await expect(guardProvider.update("adoption-guard", inputs([]), inputs([namespace]))).rejects.toThrow(/namespace jupyterhub exists/);
    expect(await guardProvider.diff("adoption-guard", inputs([]), inputs([namespace]))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });
});
