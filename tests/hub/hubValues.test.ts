import { groupMembers } from "../../components/hub/authValues";
import { buildHubValues } from "../../components/hub/hubValues";
import { buildProfileList } from "../../components/hub/profileList";
import { parseSettings } from "../../settings";
import { minimalConfig, profile, type RawConfig } from "../fixtures/configs";

const settingsOf = (overrides: RawConfig = {}) => parseSettings({ ...minimalConfig(), ...overrides });
const valuesOf = (overrides: RawConfig = {}) => buildHubValues(settingsOf(overrides)) as Record<string, any>;

describe("profileList", () => {
  const settings = settingsOf({
    groups: ["gpu"],
    profiles: [
      profile({ slug: "cpu", displayName: "CPU", default: true }),
      profile({ slug: "gpu", displayName: "GPU", gpus: 2, allowedGroups: ["gpu"], cpu: { limit: "8" }, memory: { limit: "24Gi" } }),
      profile({ slug: "root", displayName: "Root", sudo: true }),
      profile({ slug: "retired", displayName: "Retired", enabled: false }),
    ],
  });
  const [cpu, gpu, root, ...rest] = buildProfileList(settings.profiles);

  it("maps a profile to KubeSpawner's traits, resources in cores and bytes", () => {
    expect(cpu).toEqual({
      slug: "cpu",
      display_name: "CPU",
      description: "The SciPy stack",
      default: true,
      kubespawner_override: {
        image: "quay.io/jupyter/scipy-notebook:2025-10-06",
        cpu_guarantee: 0.5,
        cpu_limit: 2,
        mem_guarantee: 2 ** 30,
        mem_limit: 4 * 2 ** 30,
      },
    });
  });

  it("asks for GPUs as an extended resource limit, and leaves out guarantees that are not set", () => {
    expect(gpu.kubespawner_override).toEqual({
      image: "quay.io/jupyter/scipy-notebook:2025-10-06",
      cpu_limit: 8,
      mem_limit: 24 * 2 ** 30,
      extra_resource_limits: { "nvidia.com/gpu": "2" },
    });
    expect(gpu.default).toBeUndefined();
  });

  it("grants sudo (root start, GRANT_SUDO, privilege escalation) only to the profile that asks", () => {
    expect(root.kubespawner_override).toMatchObject({
      uid: 0,
      allow_privilege_escalation: true,
      environment: { GRANT_SUDO: "yes" },
    });
    for (const other of [cpu, gpu]) {
      expect(other.kubespawner_override).not.toHaveProperty("uid");
      expect(other.kubespawner_override).not.toHaveProperty("allow_privilege_escalation");
      expect(other.kubespawner_override).not.toHaveProperty("environment");
      expect(other.kubespawner_override).not.toHaveProperty("container_security_context");
    }
  });

  it("gives root in a sudo profile only the capabilities sudo needs, all in Pod Security baseline, under RuntimeDefault seccomp", () => {
    expect(root.kubespawner_override).toMatchObject({
      container_security_context: {
        capabilities: { drop: ["ALL"], add: ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "SYS_CHROOT"] },
      },
      pod_security_context: { seccompProfile: { type: "RuntimeDefault" } },
    });
    // KubeSpawner refuses keys that are not camelCase in these two dictionaries (kubespawner/objects.py).
    const { container_security_context, pod_security_context } = root.kubespawner_override;
    for (const key of [...Object.keys(container_security_context!), ...Object.keys(pod_security_context!)]) expect(key).not.toContain("_");
  });

  it("leaves disabled profiles out", () => {
    expect(rest).toEqual([]);
  });
});

describe("buildHubValues", () => {
  it("keeps privilege escalation off by default and uses the default profile's image", () => {
    const values = valuesOf({ profiles: [profile(), profile({ slug: "b", default: true, image: "quay.io/jupyter/r-notebook:2025-10-06" })] });
    expect(values.singleuser.allowPrivilegeEscalation).toBe(false);
    expect(values.singleuser.image).toEqual({ name: "quay.io/jupyter/r-notebook", tag: "2025-10-06" });
  });

  it("lets only configured users in, admins among them", () => {
    const values = valuesOf({ users: [{ name: "ada", admin: true }, { name: "grace" }, { name: "linus", admin: true }] });
    expect(values.hub.config.Authenticator).toEqual({ admin_users: ["ada", "linus"], allowed_users: ["ada", "grace", "linus"] });
  });

  it("uses FirstUseAuthenticator without self sign-up by default", () => {
    const { config } = valuesOf().hub;
    expect(config.JupyterHub.authenticator_class).toBe("firstuseauthenticator.FirstUseAuthenticator");
    expect(config.FirstUseAuthenticator).toEqual({ create_users: false });
  });

  it("uses the dummy authenticator only when asked", () => {
    const { config } = valuesOf({ hub: { host: "localhost", service: { type: "ClusterIP" } }, auth: { type: "local", authenticator: "dummy" } }).hub;
    expect(config.JupyterHub.authenticator_class).toBe("dummy");
    expect(config.FirstUseAuthenticator).toBeUndefined();
  });

  it("loads every group with its members", () => {
    const users = [{ name: "ada", groups: ["lab", "gpu"] }, { name: "grace", groups: ["lab"] }];
    expect(groupMembers(settingsOf({ users, groups: ["empty"] }).users, ["empty"])).toEqual({
      empty: { users: [] },
      gpu: { users: ["ada"] },
      lab: { users: ["ada", "grace"] },
    });
  });

  it("wires culling in seconds", () => {
    expect(valuesOf({ culling: { idleTimeout: "2h", checkInterval: "5m", maxAge: "1d", users: false } }).cull).toEqual({
      enabled: true,
      timeout: 7200,
      every: 300,
      maxAge: 86400,
      users: false,
    });
  });

  it("wires dynamic storage, with a storage class only when one is set", () => {
    expect(valuesOf().singleuser.storage).toEqual({ type: "dynamic", capacity: "10Gi" });
    expect(valuesOf({ storage: { type: "dynamic", capacity: "50Gi", storageClass: "nfs-client" } }).singleuser.storage).toEqual({
      type: "dynamic",
      capacity: "50Gi",
      dynamic: { storageClass: "nfs-client" },
    });
  });

  it("wires named servers and their limit", () => {
    expect(valuesOf().hub).toMatchObject({ allowNamedServers: false });
    expect(valuesOf().hub).not.toHaveProperty("namedServerLimitPerUser");
    expect(valuesOf({ namedServers: { enabled: true, limitPerUser: 2 } }).hub).toMatchObject({
      allowNamedServers: true,
      namedServerLimitPerUser: 2,
    });
  });

  it("wires each HTTPS mode to the proxy", () => {
    expect(valuesOf().proxy.https).toEqual({ enabled: false });
    expect(valuesOf({ https: { type: "letsencrypt", contactEmail: "ops@example.test" } }).proxy.https).toEqual({
      enabled: true,
      type: "letsencrypt",
      hosts: ["hub.example.test"],
      letsencrypt: { contactEmail: "ops@example.test" },
    });
    expect(valuesOf({ https: { type: "secret", secretName: "hub-tls" } }).proxy.https).toEqual({
      enabled: true,
      type: "secret",
      hosts: ["hub.example.test"],
      secret: { name: "hub-tls" },
    });
  });

  it("wires the proxy service", () => {
    expect(valuesOf().proxy.service).toEqual({ type: "LoadBalancer" });
    expect(valuesOf({ hub: { host: "a.b", service: { type: "LoadBalancer", loadBalancerIP: "10.0.0.5" } } }).proxy.service).toEqual({
      type: "LoadBalancer",
      loadBalancerIP: "10.0.0.5",
    });
  });

  it("wires the image pre-puller", () => {
    expect(valuesOf({ prePuller: { hook: false } }).prePuller).toEqual({ hook: { enabled: false }, continuous: { enabled: true } });
  });
});
