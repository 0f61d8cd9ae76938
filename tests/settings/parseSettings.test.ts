import { namespacedConfig } from "../../settings/stackSettings";
import { parseSettings } from "../../settings/parseSettings";
import { minimalConfig, profile, type RawConfig } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";


function withProfiles(...profiles: RawConfig[]): RawConfig {
  return { ...minimalConfig(), profiles };
}

describe("accepted config", () => {
  it("fills every default", () => {
    const settings = parseSettings(minimalConfig());
    expect(settings.hub).toEqual({
      host: "hub.example.test",
      namespace: "jupyterhub",
      releaseName: "jupyterhub",
      chartVersion: "4.4.0",
      service: { type: "LoadBalancer" },
    });
    expect(settings.auth).toEqual({ type: "local", authenticator: "firstuse" });
    expect(settings.users).toEqual([
      { name: "ada", admin: true, groups: [] },
      { name: "grace", admin: false, groups: [] },
    ]);
    expect(settings.profiles[0]).toMatchObject({ description: "", gpus: 0, sudo: false, allowedGroups: [], enabled: true });
    expect(settings.culling).toEqual({ enabled: true, idleTimeout: 3600, checkInterval: 600, maxAge: 0, users: false });
    expect(settings.storage).toEqual({ type: "dynamic", capacity: "10Gi", deleteHomesOnDestroy: false });
    expect(settings.namedServers).toEqual({ enabled: false, limitPerUser: 0 });
    expect(settings.https).toEqual({ type: "none" });
    expect(settings.prePuller).toEqual({ hook: true, continuous: true });
    expect(settings.cluster).toEqual({});
    expect(settings.groups).toEqual([]);
  });

  it("turns durations into seconds", () => {
    const settings = parseSettings({ ...minimalConfig(), culling: { idleTimeout: "1h30m", checkInterval: 120, maxAge: "2d" } });
    expect(settings.culling).toMatchObject({ idleTimeout: 5400, checkInterval: 120, maxAge: 172800 });
  });

  it("returns frozen settings", () => {
    const settings = parseSettings(minimalConfig());
    expect(Object.isFrozen(settings.profiles[0].cpu)).toBe(true);
  });

  it("accepts a group a profile names when it is declared, or held by a user", () => {
    const gated = [profile({ default: true }), profile({ slug: "gpu", allowedGroups: ["gpu"] })];
    expect(problemsOf({ ...withProfiles(...gated), groups: ["gpu"] })).toEqual([]);
    const users = [{ name: "ada", groups: ["gpu"] }];
    expect(problemsOf({ ...withProfiles(...gated), users })).toEqual([]);
  });

  it("does not count a disabled profile against the single default", () => {
    expect(problemsOf(withProfiles(profile({ default: true }), profile({ slug: "old", enabled: false })))).toEqual([]);
  });
});

describe("rejected config", () => {
  it.each<[string, RawConfig, string[]]>([
    ["a misspelled top-level key", { ...minimalConfig(), profile: [] }, ["jupyterhub:profile: unknown key; did you mean 'profiles'?"]],
    ["an unknown nested key", { ...minimalConfig(), hub: { host: "a.b", namspace: "x" } }, ["jupyterhub:hub.namspace: unknown key; did you mean 'namespace'?"]],
    ["a missing host", { ...minimalConfig(), hub: {} }, ["jupyterhub:hub.host: is required (string)"]],
    ["a host with a scheme", { ...minimalConfig(), hub: { host: "https://hub.example.test" } }, [expect.stringMatching(/^jupyterhub:hub\.host: must be a lower-case DNS hostname/)] as never],
    ["an upper-case username", { ...minimalConfig(), users: [{ name: "Ada" }] }, [expect.stringMatching(/^jupyterhub:users\[0\]\.name: must be a lower-case username/)] as never],
    ["no users", { ...minimalConfig(), users: [] }, ["jupyterhub:users: list at least one user: only configured users may log in"]],
    ["a duplicate user", { ...minimalConfig(), users: [{ name: "ada" }, { name: "ada" }] }, ["jupyterhub:users[1].name: 'ada' is already listed at users[0]"]],
    ["a namespace that is no DNS label", { ...minimalConfig(), hub: { host: "a.b", namespace: "Jupyter_Hub" } }, [expect.stringMatching(/^jupyterhub:hub\.namespace: a namespace must be a DNS label/)] as never],
    ["an unsupported chart version", { ...minimalConfig(), hub: { host: "a.b", chartVersion: "3.3.8" } }, ["jupyterhub:hub.chartVersion: must be a Zero to JupyterHub chart version this program is verified against: 4.2.0, 4.4.0"]],
    ["a CPU limit that is no quantity", withProfiles(profile({ default: true, cpu: { limit: "two" } })), ["jupyterhub:profiles[0].cpu.limit: must be a positive Kubernetes CPU quantity such as 500m, 1 or 2.5"]],
    ["a memory limit in the wrong unit", withProfiles(profile({ default: true, memory: { limit: "4GB" } })), ["jupyterhub:profiles[0].memory.limit: must be a positive Kubernetes byte quantity such as 512Mi, 4Gi or 10G"]],
    ["a guarantee above its limit", withProfiles(profile({ default: true, memory: { guarantee: "8Gi", limit: "4Gi" } })), ["jupyterhub:profiles[0].memory.guarantee: 8Gi is more than the limit 4Gi"]],
    ["a missing memory block", withProfiles({ ...profile({ default: true }), memory: undefined }), ["jupyterhub:profiles[0].memory: is required (object)"]],
    ["a latest image", withProfiles(profile({ default: true, image: "quay.io/jupyter/scipy-notebook:latest" })), ["jupyterhub:profiles[0].image: 'quay.io/jupyter/scipy-notebook:latest' uses the floating tag 'latest'; pin an explicit tag or digest"]],
    ["an untagged image", withProfiles(profile({ default: true, image: "quay.io/jupyter/scipy-notebook" })), [expect.stringMatching(/^jupyterhub:profiles\[0\]\.image: 'quay.io\/jupyter\/scipy-notebook' has no tag/)] as never],
    ["duplicate slugs", withProfiles(profile({ default: true }), profile()), ["jupyterhub:profiles[1].slug: 'scipy' is already the slug of profiles[0]"]],
    ["no default profile", withProfiles(profile()), ["jupyterhub:profiles: no enabled profile has default: true; mark exactly one"]],
    ["two default profiles", withProfiles(profile({ default: true }), profile({ slug: "b", default: true })), ["jupyterhub:profiles: exactly one enabled profile may be the default, found 2: scipy, b"]],
    ["a disabled default", withProfiles(profile({ default: true, enabled: false }), profile({ slug: "b", default: true })), ["jupyterhub:profiles[0].default: a disabled profile cannot be the default"]],
    ["only disabled profiles", withProfiles(profile({ enabled: false })), ["jupyterhub:profiles: no profile is enabled; enable at least one"]],
    ["a profile group nobody has", withProfiles(profile({ default: true }), profile({ slug: "gpu", allowedGroups: ["gpu"] })), ["jupyterhub:profiles[1].allowedGroups[0]: group 'gpu' is neither declared in jupyterhub:groups nor held by any user"]],
    ["a default profile limited to groups", { ...withProfiles(profile({ default: true, allowedGroups: ["lab"] })), groups: ["lab"] }, ["jupyterhub:profiles[0].allowedGroups: the default profile is offered to every user; it cannot be limited to groups"]],
    ["a group declared twice", { ...minimalConfig(), groups: ["lab", "lab"] }, ["jupyterhub:groups[1]: 'lab' is declared twice"]],
    ["a negative GPU count", withProfiles(profile({ default: true, gpus: -1 })), ["jupyterhub:profiles[0].gpus: Too small: expected number to be >=0"]],
    ["a bad duration", { ...minimalConfig(), culling: { idleTimeout: "an hour" } }, ["jupyterhub:culling.idleTimeout: must be a duration: whole seconds (3600) or a string such as 90s, 15m, 8h, 1d, 1h30m"]],
    ["Let's Encrypt for localhost", { ...minimalConfig(), hub: { host: "localhost" }, https: { type: "letsencrypt", contactEmail: "me@example.test" } }, [expect.stringMatching(/^jupyterhub:https\.type: Let's Encrypt needs a public DNS name for hub\.host, not 'localhost' \(localhost is a single-label name/)] as never],
    ["an unknown HTTPS type", { ...minimalConfig(), https: { type: "acme" } }, ["jupyterhub:https.type: Invalid discriminator value. Expected 'none' | 'letsencrypt' | 'secret' | 'certManager'"]],
    ["a TLS secret without its name", { ...minimalConfig(), https: { type: "secret" } }, ["jupyterhub:https.secretName: is required (string)"]],
    ["a boolean written as a string", { ...minimalConfig(), namedServers: { enabled: "true" } }, ['jupyterhub:namedServers.enabled: must be a boolean, not string "true"']],
    ["a section that is not a map", { ...minimalConfig(), culling: "off" }, ['jupyterhub:culling: must be an object, not string "off"']],
  ])("rejects %s", (_, raw, expected) => {
    expect(problemsOf(raw)).toEqual(expected);
  });

  it("reports every problem at once, cross-checks included", () => {
    const raw = {
      ...minimalConfig(),
      hub: { host: "Bad Host" },
      users: [{ name: "ada" }, { name: "ada" }],
      profiles: [profile({ allowedGroups: ["nobody"] }), profile({ default: true, cpu: { limit: "lots" } })],
      extra: true,
    };
    expect(problemsOf(raw)).toEqual([
      "jupyterhub:extra: unknown key",
      expect.stringMatching(/^jupyterhub:hub\.host: /),
      expect.stringMatching(/^jupyterhub:profiles\[1\]\.cpu\.limit: /),
      "jupyterhub:users[1].name: 'ada' is already listed at users[0]",
    ]);
  });

  it("names the problems in the error message", () => {
    expect(() => parseSettings({ ...minimalConfig(), hub: {} })).toThrow(
      "invalid stack config (1 problem):\n  jupyterhub:hub.host: is required (string)",
    );
  });
});

describe("namespacedConfig", () => {
  it("keeps the jupyterhub: keys and decodes the CLI's JSON text", () => {
    const { config, problems } = namespacedConfig({
      "jupyterhub:hub": '{"host":"a.b"}',
      "jupyterhub:users": '[{"name":"ada"}]',
      "jupyterhub:culling": "off",
      "vault:address": "https://vault.home.arpa:8200",
      "onepassword:account": "my.1password.com",
    });
    expect(config).toEqual({ hub: { host: "a.b" }, users: [{ name: "ada" }], culling: "off" });
    expect(problems).toEqual([]);
  });

  it("names every key outside the namespaces it reads, with what was probably meant", () => {
    expect(namespacedConfig({ culling: "{}", "jupyterhb:culling": "{}", "aws:region": "eu-west-1", "keycloak:url": "https://a" }).problems).toEqual([
      { key: "culling", message: "has no namespace; did you mean 'jupyterhub:culling'?" },
      { key: "jupyterhb:culling", message: "unknown namespace 'jupyterhb'; did you mean 'jupyterhub:culling'?" },
      { key: "aws:region", message: "unknown namespace 'aws': this program reads jupyterhub: keys (and vault:, onepassword:, docker-build:, tls: for the providers it uses), so this key would be ignored" },
      { key: "keycloak:url", message: expect.stringMatching(/^is not used by this program; Keycloak's address is jupyterhub:keycloak\.url/) },
    ]);
  });

  // Images are @pulumi/docker-build Images (components/images/KernelImages.ts), whose default
  // provider reads docker-build: keys (@pulumi/docker-build config/vars: host, registries);
  // nothing in the program reads docker: any more.
  it("honours docker-build: keys and refuses docker: ones, naming the namespace to use", () => {
    expect(namespacedConfig({ "docker-build:host": "ssh://builder.home.arpa" }).problems).toEqual([]);
    expect(namespacedConfig({ "docker:host": "ssh://builder.home.arpa" }).problems).toEqual([
      { key: "docker:host", message: "is not used by this program: images are built with docker-build, whose keys are docker-build: (e.g. docker-build:host)" },
    ]);
  });

  it("rejects kubernetes: keys, which the program's own providers would ignore", () => {
    expect(namespacedConfig({ "kubernetes:context": "kind-kind" }).problems).toEqual([
      {
        key: "kubernetes:context",
        message: "is not used by this program; set jupyterhub:cluster.context or jupyterhub:cluster.kubeconfig instead",
      },
    ]);
  });
});
