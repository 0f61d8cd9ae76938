// The SSH gateway under mocks: one sshpiperd, one address, one Secret of keys per SSH user; the
// routes to servers are the hub's (tests/python/test_ssh_pipes.py).
import * as fs from "fs";
import * as path from "path";
import { authorizedKeys, gatewayBanner, serverAuthorizedKeys, userKeysField } from "../../components/ssh/gatewayObjects";
import { SERVER_HOST_KEY_DIR, SSH_MOUNT_PATH } from "../../components/ssh/sshValues";
import { SSHPIPERD_IMAGE } from "../../settings/sshSchema";
import { parseSettings } from "../../settings";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { SECRET_PLACEHOLDER, type RecordedResource } from "../harness/recordedResource";
import { asStackConfig, minimalConfig, profile, SSHD_IMAGE, type RawConfig } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm4lCq0hGqkqz3y2m0d0H6b2Yb1m9Jm1p8x3xk0aDa1 ada@laptop";
const of = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const named = (resources: RecordedResource[], type: string, name: string) => of(resources, type).find((r) => r.name === name)!;

export function sshConfig(ssh: RawConfig = {}, extra: RawConfig = {}): RawConfig {
  const base = minimalConfig();
  return {
    ...base,
    users: [
      { name: "ada", admin: true, ssh: { publicKeys: [KEY] } },
      { name: "aiko.tanaka", ssh: { onePasswordKeys: [{ vault: "v", item: "Aiko laptop" }] } },
      { name: "grace" },
    ],
    // The minimal profile runs an external image; one of your own with sshd.
    profiles: (base.profiles as RawConfig[]).map((p) => ({ ...p, image: SSHD_IMAGE, sshd: true })),
    ssh: { sourceRanges: ["192.168.0.0/16"], ...ssh },
    ...extra,
  };
}

describe("ssh settings", () => {
  it.each<[string, unknown, string]>([
    ["a private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc", "is a private key; give the public key"],
    ["something else", "hello", "must be an OpenSSH public key line"],
  ])("rejects %s as a public key", (_, key, message) => {
    const config = { ...minimalConfig(), users: [{ name: "ada", ssh: { publicKeys: [key] } }] };
    expect(() => parseSettings(config)).toThrow(new RegExp(`jupyterhub:users\\[0\\]\\.ssh\\.publicKeys\\[0\\]: ${message}`));
  });

  it("refuses SSH settings that can never work", () => {
    expect(problemsOf({ ...sshConfig(), profiles: [{ ...profile({ default: true }) }] })).toEqual([
      // images/published.json pins no release yet, so the published image is not offered.
      "jupyterhub:profiles: users have SSH keys, but no enabled profile runs sshd: mark a profile whose image has sshd (openssh-server) with sshd: true, or build one from images/ (image: { build: ... })",
    ]);
    expect(problemsOf(sshConfig({}, { users: [{ name: "ada+b", ssh: { publicKeys: [KEY] } }] }))).toEqual([
      "jupyterhub:users[0].name: 'ada+b' has SSH keys, and SSH reads '+' as the start of a server name; rename the user or drop the keys",
    ]);
    expect(problemsOf(sshConfig({ service: { type: "NodePort", loadBalancerIP: "192.168.50.31" } }))).toEqual([
      "jupyterhub:ssh.service.loadBalancerIP: applies to type LoadBalancer only",
    ]);
    expect(problemsOf(sshConfig({ host: "hub.example.test" }))).toEqual([
      "jupyterhub:ssh.host: is hub.host as well; the gateway needs a name of its own (e.g. ssh.example.test)",
    ]);
  });

  it("points a per-user address of the old design to the gateway's", () => {
    expect(problemsOf(sshConfig({}, { users: [{ name: "ada", ssh: { publicKeys: [KEY], loadBalancerIP: "192.168.50.31" } }] }))).toEqual([
      expect.stringMatching(/^jupyterhub:users\[0\]\.ssh\.loadBalancerIP: unknown key/),
    ]);
  });
});

describe("a stack with SSH users", () => {
  let rendered: RenderedStack;
  beforeAll(async () => {
    rendered = await renderStack(
      asStackConfig(
        sshConfig({ host: "ssh.home.arpa", service: { loadBalancerIP: "192.168.50.31" }, annotations: { "metallb.universe.tf/address-pool": "ssh" } }),
      ),
    );
  });

  it("declares one gateway Service on port 22 for everyone, keeping the client's address, with no node port", () => {
    const services = of(rendered.resources, "kubernetes:core/v1:Service");
    expect(services.map((s) => s.name)).toEqual(["jupyterhub-ssh-gateway"]);
    expect(services[0].inputs).toMatchObject({
      metadata: {
        name: "jupyterhub-ssh",
        namespace: "jupyterhub",
        labels: { "app.kubernetes.io/component": "ssh" },
        annotations: { "metallb.universe.tf/address-pool": "ssh", "external-dns.alpha.kubernetes.io/hostname": "ssh.home.arpa" },
      },
      spec: {
        type: "LoadBalancer",
        ports: [{ name: "ssh", protocol: "TCP", port: 22, targetPort: 2222 }],
        selector: { "app.kubernetes.io/name": "sshpiperd", "app.kubernetes.io/instance": "jupyterhub" },
        externalTrafficPolicy: "Local",
        allocateLoadBalancerNodePorts: false,
        loadBalancerSourceRanges: ["192.168.0.0/16"],
        loadBalancerIP: "192.168.50.31",
      },
    });
  });

  it("runs pinned sshpiperd with the stack's host key, no key generation and no remote forwarding", () => {
    const deployment = named(rendered.resources, "kubernetes:apps/v1:Deployment", "jupyterhub-ssh-gateway");
    const container = (deployment.inputs as any).spec.template.spec.containers[0];
    expect(container.image).toBe(SSHPIPERD_IMAGE);
    expect(SSHPIPERD_IMAGE).toMatch(/:v\d+\.\d+\.\d+$/);
    const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({
      PLUGIN: "kubernetes",
      SSHPIPERD_SERVER_KEY: "/etc/sshpiperd/host-key/ssh_host_ed25519_key",
      SSHPIPERD_SERVER_KEY_GENERATE_MODE: "disable",
      SSHPIPERD_DISABLE_REMOTE_FORWARDING: "true",
    });
    expect(container.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    expect(deployment.dependsOn).toContain("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition::jupyterhub-ssh-pipe-crd");
  });

  it("costs no resource per SSH user: one Secret holds everyone's keys, a field each; no address or key pair per user", () => {
    const secrets = of(rendered.resources, "kubernetes:core/v1:Secret").map((s) => (s.inputs.metadata as { name: string }).name).sort();
    expect(secrets).toEqual(["jupyterhub-ssh-gateway", "jupyterhub-ssh-upstream", "jupyterhub-ssh-user-keys"]);
    // The Kubernetes provider keeps every Secret's data secret, public keys included.
    expect(named(rendered.resources, "kubernetes:core/v1:Secret", "jupyterhub-ssh-user-keys").inputs.stringData).toBe(SECRET_PLACEHOLDER);
    expect(of(rendered.resources, "tls:index/privateKey:PrivateKey").map((k) => k.name)).toEqual(["jupyterhub-ssh-host-key", "jupyterhub-ssh-upstream-key"]);
    expect(named(rendered.resources, "kubernetes:core/v1:Secret", "jupyterhub-ssh-upstream-key").inputs).toMatchObject({
      type: "kubernetes.io/ssh-auth",
      stringData: SECRET_PLACEHOLDER,
    });
  });

  it("lets the gateway read Pipes and the Secrets they name, and the hub write Pipes", () => {
    const roles = of(rendered.resources, "kubernetes:rbac.authorization.k8s.io/v1:Role");
    expect(named(rendered.resources, "kubernetes:rbac.authorization.k8s.io/v1:Role", "jupyterhub-ssh-gateway").inputs.rules).toEqual([
      { apiGroups: ["sshpiper.com"], resources: ["pipes"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["secrets"], resourceNames: ["jupyterhub-ssh-upstream", "jupyterhub-ssh-user-keys"], verbs: ["get"] },
    ]);
    expect(roles).toHaveLength(2);
    expect(named(rendered.resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "jupyterhub-ssh-hub-pipes").inputs).toMatchObject({
      roleRef: { kind: "Role", name: "jupyterhub-ssh-pipes" },
      subjects: [{ kind: "ServiceAccount", name: "hub", namespace: "jupyterhub" }],
    });
  });

  it("gives every server the gateway's key, restricted, as authorized_keys", () => {
    const storage = (rendered.values as Record<string, any>).singleuser.storage;
    // The other volume is sshd's hooks and config (serverSshd.test.ts).
    expect(storage.extraVolumes).toEqual([
      { name: "ssh", configMap: { name: "jupyterhub-ssh-gateway-key", defaultMode: 0o444, items: [{ key: "authorized_keys", path: "authorized_keys" }] } },
      expect.objectContaining({ name: "sshd" }),
    ]);
    expect(storage.extraVolumeMounts.filter((m: { name: string }) => m.name === "ssh")).toEqual([{ name: "ssh", mountPath: "/etc/jupyterhub/ssh", readOnly: true }]);
    const configMap = named(rendered.resources, "kubernetes:core/v1:ConfigMap", "jupyterhub-ssh-server-authorized-keys");
    expect((configMap.inputs.data as Record<string, string>).authorized_keys).toMatch(/^restrict,pty,port-forwarding ssh-ed25519 \S+ jupyterhub-ssh-gateway\n$/);
  });

  it("tells the hub which users get routes, with which keys, and marks the servers of profiles with sshd", () => {
    const values = rendered.values as Record<string, any>;
    expect(values.custom.ssh).toEqual({
      upstreamKeySecretName: "jupyterhub-ssh-upstream",
      userKeysSecretName: "jupyterhub-ssh-user-keys",
      port: 2222,
      serverUser: "jovyan",
      sshdLabel: "jupyterhub-pulumi/sshd",
      hostKeyDir: "/etc/jupyterhub/ssh-host-key",
      release: "jupyterhub",
      users: { ada: "user-ada", "aiko.tanaka": "user-aiko-tanaka---bb0feed0" },
    });
    expect(values.hub.extraConfig["70-ssh-pipes"]).toContain('ssh_pipes.install(c, get_config("custom.ssh"), KubeSpawner)');
    expect(values.singleuser.profileList[0].kubespawner_override.extra_labels).toEqual({ "jupyterhub-pulumi/sshd": "true" });
  });

  it("outputs the one address, the port, the host key fingerprint and each user's destination", () => {
    expect(rendered.outputs).toMatchObject({
      sshHost: "ssh.home.arpa",
      sshPort: 22,
      sshHostKeyFingerprint: expect.stringMatching(/^SHA256:[A-Za-z0-9+/]{43}$/),
      sshEndpoints: { ada: "ada@ssh.home.arpa", "aiko.tanaka": "aiko.tanaka@ssh.home.arpa" },
    });
  });
});

it("on a local cluster: a fixed node port, which the gateway's NetworkPolicy still limits to the ranges", async () => {
  const { resources, outputs } = await renderStack(asStackConfig(sshConfig({ service: { type: "NodePort", nodePort: 30022 } })));
  const service = named(resources, "kubernetes:core/v1:Service", "jupyterhub-ssh-gateway");
  expect(service.inputs.spec).toMatchObject({ type: "NodePort", externalTrafficPolicy: "Local", ports: [{ port: 22, targetPort: 2222, nodePort: 30022 }] });
  expect(service.inputs.spec).not.toHaveProperty("loadBalancerSourceRanges");
  expect(outputs.sshPort).toBe(30022);
});

it("declares no SSH resources or mounts when nobody has keys", async () => {
  const { resources, values, outputs } = await renderStack(asStackConfig(minimalConfig()));
  expect(resources.filter((r) => /Service|tls:|Role|Pipe|CustomResourceDefinition/.test(r.type))).toEqual([]);
  expect((values as Record<string, any>).singleuser.storage.extraVolumes).toBeUndefined();
  expect(outputs).not.toHaveProperty("sshHost");
});

it("mounts each server's own host key where the image's sshd hook reads it, outside the ConfigMap's mount", () => {
  const hook = fs.readFileSync(path.join(__dirname, "../../images/base/before-notebook.d/20-sshd.sh"), "utf8");
  expect(hook).toContain(`JUPYTERHUB_SSH_HOST_KEYS_DIR:-${SERVER_HOST_KEY_DIR}}/ssh_host_ed25519_key`);
  expect(SERVER_HOST_KEY_DIR.startsWith(`${SSH_MOUNT_PATH}/`)).toBe(false);
});

it("names users' fields so that none is a field sshpiper falls back to", () => {
  for (const name of ["authorized_keys", "authorizedkeys", "ssh-authorizedkeys"]) expect(userKeysField(name)).not.toMatch(/^(authorized_keys|authorizedkeys|ssh-authorizedkeys)$/);
});

it("writes authorized_keys one key per line, each once", () => {
  expect(authorizedKeys([KEY, ` ${KEY} `, "", "ssh-rsa AAAA b"])).toBe(`${KEY}\nssh-rsa AAAA b\n`);
});

it("restricts the gateway's key in the servers to a terminal and forwarding from the client", () => {
  expect(serverAuthorizedKeys("ssh-ed25519 AAAAC3Nza gw\n")).toBe("restrict,pty,port-forwarding ssh-ed25519 AAAAC3Nza gw jupyterhub-ssh-gateway\n");
});

it("tells every client, before login, how to reach a server, and which profiles have no SSH", () => {
  const config = sshConfig({ host: "ssh.home.arpa" }, { https: { type: "letsencrypt", contactEmail: "a@b.test" } });
  const profiles = [...(config.profiles as RawConfig[]), profile({ slug: "plain", displayName: "Plain Python" })];
  const banner = gatewayBanner(parseSettings({ ...config, profiles }));
  expect(banner).toContain("start it at https://hub.example.test/hub/home");
  expect(banner).toContain("Servers of these profiles have no SSH: Plain Python.");
  expect(banner).toContain("ssh <you>+<server>@ssh.home.arpa");
  expect(gatewayBanner(parseSettings(config))).not.toContain("have no SSH");
});
