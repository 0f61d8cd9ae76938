// Users' lifecycle in what a stack declares, under the program's mocks: the adoption guard before
// what it guards, the server shutdown after the release, Vault renames, the hub's values (module,
// service, config) run the way the chart runs them, through the real chart, and the homes outputs.
import * as path from "path";
import { LIFECYCLE_SERVICE } from "../../components/lifecycle/lifecycleValues";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { hubSecretValues } from "../network/clusterModel";
import { runHubPythonScript } from "../harness/hubPythonScript";
import { helmTemplate, manifest } from "../harness/helmTemplate";
import type { RecordedResource } from "../harness/recordedResource";
import { renderStack, RELEASE_TYPE, type RenderedStack } from "../harness/renderStack";
import { PROJECT_ROOT } from "../harness/stackConfig";
import { asStackConfig, minimalConfig, SSHD_IMAGE, type RawConfig } from "../fixtures/configs";
import { inClusterVaultConfig } from "../fixtures/vaultConfig";

const GUARD = "pulumi-nodejs:dynamic/lifecycle:AdoptionGuard";
const SHUTDOWN = "pulumi-nodejs:dynamic/lifecycle:ServerShutdown";
const VAULT_MOVE = "pulumi-nodejs:dynamic/lifecycle:VaultSecretsMove";
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm4lCq0hGqkqz3y2m0d0H6b2Yb1m9Jm1p8x3xk0aDa1 ada@laptop";

const render = (overrides: RawConfig = {}, base: RawConfig = minimalConfig()) => renderStack(asStackConfig({ ...base, ...overrides }), "lab");
const one = (resources: RecordedResource[], type: string) => {
  const found = resources.filter((r) => r.type === type);
  expect(found).toHaveLength(1);
  return found[0];
};

const USERS = [{ name: "ada", admin: true }, { name: "aiko", renamedFrom: ["aiko.tanaka"] }, { name: "grace" }];
const NFS = { type: "nfs", server: "nas.home.arpa", path: "/volume1/jupyter/homes/" };

/** What each stack's hub.extraConfig wired, the chart running it as the hub pod does (one hub-Python process for the file's stacks). */
async function runExtraConfig(stacks: RenderedStack[]): Promise<Record<string, any>[]> {
  const run = await runHubPythonScript(path.join(PROJECT_ROOT, "tests", "python", "run_extra_config.py"), [], JSON.stringify(stacks.map((s) => s.values)));
  expect(run.stderr).toBe("");
  const wired = JSON.parse(run.stdout);
  expect(wired).toHaveLength(stacks.length);
  return wired;
}

let dynamicStack: RenderedStack;
let nfsStack: RenderedStack;
let dynamicWired: Record<string, any>;
let nfsWired: Record<string, any>;
beforeAll(async () => {
  dynamicStack = await render({ users: USERS, formerUsers: [{ name: "bob" }, { name: "hedy", renamedFrom: ["hedy.l"] }] });
  nfsStack = await render({
    users: [{ name: "ada", admin: true, ssh: { publicKeys: [KEY] } }, { name: "aiko", renamedFrom: ["aiko.tanaka"] }],
    formerUsers: [{ name: "bob" }],
    storage: NFS,
    ssh: { sourceRanges: ["192.168.0.0/16"], host: "ssh.home.arpa" },
    // A profile for a group, so the profile filter's spawner is there to be wrapped, as in homelab.
    profiles: [{ ...(minimalConfig().profiles as RawConfig[])[0], image: SSHD_IMAGE, sshd: true }, { ...(minimalConfig().profiles as RawConfig[])[0], slug: "gpu", default: false, allowedGroups: ["lab"] }],
    groups: ["lab"],
  });
  [dynamicWired, nfsWired] = await runExtraConfig([dynamicStack, nfsStack]);
}, 60_000);

describe("dynamic storage, a rename and a former user", () => {
  let stack: RenderedStack;
  beforeAll(() => {
    stack = dynamicStack;
  });

  it("guards the namespace's adoption, and remembers who is configured", () => {
    const guard = one(stack.resources, GUARD);
    const namespace = one(stack.resources, "kubernetes:core/v1:Namespace");
    expect(namespace.dependsOn).toContain(`${GUARD}::jupyterhub-adoption`);
    expect(namespace.inputs.metadata).toMatchObject({ labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "jupyterhub", "jupyterhub-pulumi/stack": "lab" } });
    expect(guard.inputs).toMatchObject({
      kubectl: ["kubectl"],
      objects: [{ kind: "namespace", name: "jupyterhub" }],
      labels: { "jupyterhub-pulumi/stack": "lab" },
      roster: { users: ["ada", "aiko", "grace"], formerUsers: ["bob", "hedy"], homes: { ada: "ada", aiko: "aiko.tanaka", grace: "grace", bob: "bob", hedy: "hedy.l" } },
    });
    expect(guard.inputs.__provider).toEqual(expect.stringContaining("rosterProblems"));
  });

  it("stops the servers through the hub before the release goes", () => {
    const shutdown = one(stack.resources, SHUTDOWN);
    expect(shutdown.dependsOn).toContain(`${RELEASE_TYPE}::jupyterhub`);
    expect(shutdown.inputs).toMatchObject({ kubectl: ["kubectl"], namespace: "jupyterhub", releaseName: "jupyterhub", timeoutSeconds: 600 });
    expect((shutdown.inputs.command as string[]).slice(-7)).toEqual(["hub", "--", "python3", "/usr/local/etc/jupyterhub-pulumi/user_lifecycle.py", "stop-all", "--timeout", "600"]);
    // Nothing else waits for it: only the release's deletion does.
    expect(stack.resources.filter((r) => r.dependsOn.includes(`${SHUTDOWN}::jupyterhub-servers`))).toEqual([]);
  });

  it("copies no Vault secrets without Vault", () => {
    expect(stack.resources.filter((r) => r.type === VAULT_MOVE)).toEqual([]);
  });

  it("says where every home is, by KubeSpawner's names", () => {
    expect(stack.outputs.homes).toEqual({
      ada: { claim: "claim-ada", namespace: "jupyterhub" },
      aiko: { claim: "claim-aiko-tanaka---bb0feed0", namespace: "jupyterhub", keptFrom: "aiko.tanaka" },
      grace: { claim: "claim-grace", namespace: "jupyterhub" },
    });
    expect(stack.outputs.formerHomes).toEqual({
      bob: { claim: "claim-bob", namespace: "jupyterhub" },
      hedy: { claim: "claim-hedy-l---5a5bef3a", namespace: "jupyterhub", keptFrom: "hedy.l" },
    });
  });

  it("hands the hub the lifecycle module, its managed service and its config", () => {
    const hub = (stack.values as Record<string, any>).hub;
    // A hub admin only while an admin is renamed (ada is an admin, aiko is not): a role of its own otherwise.
    expect(hub.services).toEqual({
      [LIFECYCLE_SERVICE]: { admin: false, command: ["python3", "/usr/local/etc/jupyterhub-pulumi/user_lifecycle.py", "serve"] },
    });
    expect(hub.loadRoles[LIFECYCLE_SERVICE]).toEqual({
      description: expect.any(String),
      scopes: ["admin:users", "read:servers", "delete:servers", "tokens", "groups"],
      services: [LIFECYCLE_SERVICE],
    });
    expect(hub.extraConfig["81-hub-sessions"]).toMatch(/\nhub_sessions\.install\(c, get_config\("custom.userLifecycle"\)\)\n$/);
    expect(hub.extraFiles["python-user-lifecycle"]).toMatchObject({ mountPath: "/usr/local/etc/jupyterhub-pulumi/user_lifecycle.py" });
    expect(hub.extraConfig["80-user-lifecycle"]).toMatch(/\nuser_lifecycle\.install\(c, get_config\("custom.userLifecycle"\), KubeSpawner\)\n$/);
    expect((stack.values as Record<string, any>).custom.userLifecycle).toEqual({
      service: "user-lifecycle",
      users: ["ada", "aiko", "grace"],
      formerUsers: ["bob", "hedy"],
      renames: { aiko: ["aiko.tanaka"] },
      storage: "dynamic",
      intervalSeconds: 300,
      stopTimeoutSeconds: 600,
    });
  });

  it("wires the kept-home spawner over the others when the chart runs the extraConfig", () => {
    const wired = dynamicWired;
    expect(wired.globals).toContain("user_lifecycle");
    expect(wired.spawner_classes).toEqual(["KeptHomeSpawner", "KubeSpawner"]);
    // Sessions: the chart's authenticator wrapped, former users blocked, the admin role's services listed exactly.
    expect(wired.authenticator_classes[0]).toMatch(/^ConfiguredSessions/);
    expect(wired.blocked_users).toEqual(["bob", "hedy"]);
    expect(wired.load_roles).toContainEqual({ name: "admin", services: [] });
  });

  it.each(SUPPORTED_CHART_VERSIONS)("gets the service's token from chart %s's Secret, mounted where stop-all reads it", (chartVersion) => {
    const manifests = helmTemplate(stack.values, { release: "jupyterhub", namespace: "jupyterhub", chartVersion });
    const secret = manifest(manifests, "Secret", "hub");
    expect(Buffer.from(secret.data[`hub.services.${LIFECYCLE_SERVICE}.apiToken`], "base64").toString()).toMatch(/^[0-9a-f]{64}$|^\S{32,}$/);
    expect(hubSecretValues(manifests).hub.services[LIFECYCLE_SERVICE].command).toEqual(["python3", "/usr/local/etc/jupyterhub-pulumi/user_lifecycle.py", "serve"]);
    const hub = manifest(manifests, "Deployment", "hub").spec.template.spec;
    const secretVolume = hub.volumes.find((v: any) => v.secret?.secretName === "hub").name;
    expect(hub.containers[0].volumeMounts).toContainEqual(expect.objectContaining({ name: secretVolume, mountPath: "/usr/local/etc/jupyterhub/secret/" }));
    expect(hub.containers[0].name).toBe("hub");
  });
});

describe("NFS homes", () => {
  let stack: RenderedStack;
  beforeAll(() => {
    stack = nfsStack;
  });

  it("labels the kept volume and claim as the stack's and adopts them only past the guard", () => {
    for (const type of ["kubernetes:core/v1:PersistentVolume", "kubernetes:core/v1:PersistentVolumeClaim"]) {
      const kept = one(stack.resources, type);
      expect(kept.dependsOn).toContain(`${GUARD}::jupyterhub-adoption`);
      expect(kept.inputs.metadata).toMatchObject({ labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "jupyterhub", "jupyterhub-pulumi/stack": "lab" } });
    }
    expect(one(stack.resources, GUARD).inputs.objects).toEqual([
      { kind: "namespace", name: "jupyterhub" },
      { kind: "persistentvolume", name: "jupyterhub-homes" },
      { kind: "persistentvolumeclaim", name: "homes", namespace: "jupyterhub" },
    ]);
  });

  it("says which sub-directory of the export is whose, and where to SSH", () => {
    expect(stack.outputs.homes).toEqual({
      ada: { subPath: "ada", nfs: "nas.home.arpa:/volume1/jupyter/homes/ada", ssh: "ada@ssh.home.arpa" },
      aiko: { subPath: "aiko-tanaka---bb0feed0", nfs: "nas.home.arpa:/volume1/jupyter/homes/aiko-tanaka---bb0feed0", keptFrom: "aiko.tanaka" },
    });
    expect(stack.outputs.formerHomes).toEqual({ bob: { subPath: "bob", nfs: "nas.home.arpa:/volume1/jupyter/homes/bob" } });
    expect(stack.outputs.sshEndpoints).toEqual({ ada: "ada@ssh.home.arpa" });
  });

  it("runs the kept-home spawner over the SSH routes and the profile filter", () => {
    expect(nfsWired.spawner_classes).toEqual(["KeptHomeSpawner", "SshRoutedSpawner", "GroupGatedSpawner", "KubeSpawner"]);
  });
});

describe("with Vault", () => {
  it("copies each renamed user's secrets with the operator's credentials, and nothing for the others", async () => {
    const stack = await render({ users: USERS }, inClusterVaultConfig());
    const moves = stack.resources.filter((r) => r.type === VAULT_MOVE);
    expect(moves.map((m) => [m.name, m.inputs.newName, m.inputs.earlierNames, m.inputs.kvMount, m.inputs.pathPrefix])).toEqual([
      ["jupyterhub-vault-rename-aiko", "aiko", ["aiko.tanaka"], "secret", "jupyter"],
    ]);
    // The operator's token comes from the environment at deploy time, never through the inputs.
    expect(JSON.stringify(moves[0].inputs)).not.toMatch(/token"/i);
  });
});
