// SSH endpoints under mocks: one Service per user with keys, selecting that user's default server.
import { authorizedKeys, sshServiceArgs } from "../../components/ssh/sshService";
import { parseSettings } from "../../settings";
import { SettingsError } from "../../settings/SettingsError";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { SECRET_PLACEHOLDER, type RecordedResource } from "../harness/recordedResource";
import { asStackConfig, minimalConfig, type RawConfig } from "../fixtures/configs";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm4lCq0hGqkqz3y2m0d0H6b2Yb1m9Jm1p8x3xk0aDa1 ada@laptop";
const of = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);

function sshConfig(ssh: RawConfig = {}): RawConfig {
  return {
    ...minimalConfig(),
    users: [
      { name: "ada", admin: true, ssh: { publicKeys: [KEY], loadBalancerIP: "192.168.50.31" } },
      { name: "aiko.tanaka", ssh: { onePasswordKeys: [{ vault: "v", item: "Aiko laptop" }] } },
      { name: "grace" },
    ],
    ssh: { sourceRanges: ["192.168.0.0/16"], ...ssh },
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

  it("rejects a source range that is no CIDR", () => {
    expect(() => parseSettings(sshConfig({ sourceRanges: ["home"] }))).toThrow(SettingsError);
  });
});

describe("a stack with SSH users", () => {
  let rendered: RenderedStack;
  beforeAll(async () => {
    rendered = await renderStack(
      asStackConfig(sshConfig({ domain: "ssh.home.arpa", sourceRanges: ["192.168.0.0/16"], annotations: { "metallb.universe.tf/address-pool": "ssh" } })),
    );
  });

  it("declares a Service on port 22 per user with keys, selecting that user's default server only", () => {
    const services = of(rendered.resources, "kubernetes:core/v1:Service");
    expect(services.map((s) => s.name).sort()).toEqual(["jupyterhub-ssh-ada", "jupyterhub-ssh-aiko-tanaka---bb0feed0"]);
    const aiko = services.find((s) => s.name.includes("aiko"))!;
    expect(aiko.inputs).toMatchObject({
      metadata: {
        name: "ssh-aiko-tanaka---bb0feed0",
        namespace: "jupyterhub",
        labels: { "app.kubernetes.io/component": "ssh", "hub.jupyter.org/username": "aiko.tanaka" },
        annotations: { "metallb.universe.tf/address-pool": "ssh", "external-dns.alpha.kubernetes.io/hostname": "aiko-tanaka---bb0feed0.ssh.home.arpa" },
      },
      spec: {
        type: "LoadBalancer",
        ports: [{ name: "ssh", protocol: "TCP", port: 22, targetPort: 2222 }],
        selector: { component: "singleuser-server", release: "jupyterhub", "hub.jupyter.org/username": "aiko.tanaka", "hub.jupyter.org/servername": "" },
        loadBalancerSourceRanges: ["192.168.0.0/16"],
      },
    });
    expect(services.find((s) => s.name.endsWith("-ada"))!.inputs).toMatchObject({ spec: { loadBalancerIP: "192.168.50.31" } });
  });

  it("keeps each user's keys and a generated host key in a secret Secret named as KubeSpawner expands ssh-{username}", () => {
    const secrets = of(rendered.resources, "kubernetes:core/v1:Secret");
    expect(secrets.map((s) => (s.inputs.metadata as { name: string }).name).sort()).toEqual(["ssh-ada", "ssh-aiko-tanaka---bb0feed0"]);
    for (const secret of secrets) expect(secret.inputs.stringData).toBe(SECRET_PLACEHOLDER);
    expect(of(rendered.resources, "tls:index/privateKey:PrivateKey").map((k) => k.inputs)).toEqual([{ algorithm: "ED25519" }, { algorithm: "ED25519" }]);
  });

  it("mounts the user's own Secret read-only, optional for users without keys", () => {
    const storage = (rendered.values as Record<string, any>).singleuser.storage;
    expect(storage.extraVolumes).toEqual([{
      name: "ssh",
      secret: {
        secretName: "ssh-{username}",
        optional: true,
        defaultMode: 0o440,
        items: [
          { key: "authorized_keys", path: "authorized_keys" },
          { key: "ssh_host_ed25519_key", path: "host-keys/ssh_host_ed25519_key" },
          { key: "ssh_host_ed25519_key.pub", path: "host-keys/ssh_host_ed25519_key.pub" },
        ],
      },
    }]);
    expect(storage.extraVolumeMounts).toEqual([{ name: "ssh", mountPath: "/etc/jupyterhub/ssh", readOnly: true }]);
  });

  it("lists each user's endpoint as a stack output", () => {
    expect(rendered.outputs.sshEndpoints).toEqual({
      ada: "jovyan@ada.ssh.home.arpa",
      "aiko.tanaka": "jovyan@aiko-tanaka---bb0feed0.ssh.home.arpa",
    });
  });
});

it("declares no SSH resources or mounts when nobody has keys", async () => {
  const { resources, values } = await renderStack(asStackConfig(minimalConfig()));
  expect(resources.filter((r) => /Service|tls:/.test(r.type))).toEqual([]);
  expect((values as Record<string, any>).singleuser.storage.extraVolumes).toBeUndefined();
});

it("falls back to the fixed address for an endpoint without a domain", async () => {
  const { outputs } = await renderStack(asStackConfig(sshConfig()));
  expect((outputs.sshEndpoints as Record<string, string>).ada).toBe("jovyan@192.168.50.31");
});

it("writes authorized_keys one key per line, each once", () => {
  expect(authorizedKeys([KEY, ` ${KEY} `, "", "ssh-rsa AAAA b"])).toBe(`${KEY}\nssh-rsa AAAA b\n`);
});

it("limits the endpoint to the client ranges and keeps the client's address for the servers' NetworkPolicy", () => {
  const settings = parseSettings(sshConfig({ sourceRanges: ["192.168.0.0/16", "10.8.0.0/24"] }));
  expect(sshServiceArgs(settings.users[0], settings, "jupyterhub").spec).toMatchObject({
    loadBalancerSourceRanges: ["192.168.0.0/16", "10.8.0.0/24"],
    externalTrafficPolicy: "Local",
  });
});
