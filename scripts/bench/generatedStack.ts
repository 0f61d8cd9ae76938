// Large stacks for the benchmark: many users spread over groups, many profiles, with the hub's
// local login, with Keycloak (where each user is also a Keycloak user resource), or with local
// login and an SSH key for every user (one keys Secret each, through the one SSH gateway).
import YAML from "yaml";

export type Login = "local" | "keycloak" | "ssh";

/** A made-up ed25519 public key line per user: valid in form, distinct per index. */
function benchKey(i: number): string {
  return `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${Buffer.from(`bench-user-${String(i).padStart(10, "0")}-key`).toString("base64").slice(0, 43)} user${i}@bench`;
}

export function generatedStackFile(userCount: number, profileCount: number, login: Login): string {
  const groups = ["lab", "gpu", "teaching", "staff"];
  const users = Array.from({ length: userCount }, (_, i) => ({
    name: `user${String(i).padStart(4, "0")}`,
    ...(login === "keycloak" ? { email: `user${String(i).padStart(4, "0")}@bench.test` } : {}),
    ...(i % 100 === 0 ? { admin: true } : {}),
    groups: [groups[i % groups.length]],
    ...(login === "ssh" ? { ssh: { publicKeys: [benchKey(i)] } } : {}),
  }));
  const profiles = Array.from({ length: profileCount }, (_, i) => ({
    slug: `profile-${i}`,
    displayName: `Profile ${i}`,
    description: `Generated profile ${i}`,
    // With SSH, an image of one's own that runs sshd: the schema refuses sshd on a Jupyter Docker Stacks image.
    image: `${login === "ssh" ? "ghcr.io/bench/sshd-notebook" : "quay.io/jupyter/scipy-notebook"}:2025-10-${String((i % 28) + 1).padStart(2, "0")}`,
    ...(i === 0 ? { default: true } : {}),
    ...(i % 5 === 4 ? { gpus: 1, allowedGroups: ["gpu"] } : {}),
    ...(i % 7 === 6 ? { sudo: true } : {}),
    cpu: { guarantee: "500m", limit: String(1 + (i % 8)) },
    memory: { guarantee: "1Gi", limit: `${2 + (i % 14)}Gi` },
    ...(login === "ssh" ? { sshd: true } : {}),
  }));
  const keycloak = {
    "jupyterhub:https": { type: "secret", secretName: "hub-tls" },
    "jupyterhub:keycloak": {
      url: "https://auth.bench.test",
      realm: "bench",
      identityProviders: {
        google: { clientId: "bench.apps.googleusercontent.com", clientSecret: { onePassword: { vault: "bench", item: "Google" } } },
      },
    },
  };
  return YAML.stringify({
    config: {
      "jupyterhub:hub": { host: "hub.bench.test" },
      "jupyterhub:users": users,
      "jupyterhub:profiles": profiles,
      "jupyterhub:namedServers": { enabled: true, limitPerUser: 2 },
      ...(login === "keycloak" ? keycloak : {}),
      ...(login === "ssh" ? { "jupyterhub:ssh": { host: "ssh.bench.test", sourceRanges: ["192.168.0.0/16"] } } : {}),
    },
  });
}
