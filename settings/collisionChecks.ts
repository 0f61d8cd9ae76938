// Collisions across services: one name or address given to two services. The gateway publishes
// ssh.host through external-dns, so a name that is already Vault's or Keycloak's would point it at
// the gateway; a LoadBalancer address that a LAN host already has is answered by two machines
// (MetalLB announces it with ARP); and one SSH key under two users lets either person into both.
import * as net from "net";
import type { CrossCheckProblem } from "./crossChecks";
import type { Settings } from "./schema";

type Sections = Partial<Settings>;
type Path = (string | number)[];

function urlHost(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  } catch {
    return undefined;
  }
}

/** Every DNS name or address a service of the config is reached at, with the key that says so. */
function serviceEndpoints({ hub, ssh, keycloak, vault, images, storage, sharedVolumes }: Sections): { path: Path; what: string; host: string }[] {
  const endpoints: { path: Path; what: string; host: string | undefined }[] = [
    { path: ["hub", "host"], what: "the hub", host: hub?.host },
    { path: ["hub", "service", "loadBalancerIP"], what: "the hub", host: hub?.service.loadBalancerIP },
    { path: ["ssh", "host"], what: "the SSH gateway", host: ssh?.host },
    { path: ["ssh", "service", "loadBalancerIP"], what: "the SSH gateway", host: ssh?.service.loadBalancerIP },
    { path: ["keycloak", "url"], what: "Keycloak", host: urlHost(keycloak?.url) },
    { path: ["vault", "address"], what: "Vault", host: urlHost(vault?.address) },
    { path: ["images", "registry"], what: "the image registry", host: images?.registry.replace(/:\d+$/, "") },
    { path: ["storage", "server"], what: "the NFS server of the homes", host: storage?.type === "nfs" ? storage.server : undefined },
    ...(sharedVolumes ?? []).map((volume, index) => ({ path: ["sharedVolumes", index, "server"], what: `the NFS server of sharedVolumes[${index}]`, host: volume.server })),
  ];
  // Vault outside the cluster is also named by its address range; a /32 (or /128) is one host.
  const cidrs = vault?.networkPolicy && "cidrs" in vault.networkPolicy ? vault.networkPolicy.cidrs : [];
  cidrs.forEach((cidr, index) => {
    const [address, prefix] = cidr.split("/");
    if (Number(prefix) === (net.isIPv4(address) ? 32 : 128)) endpoints.push({ path: ["vault", "networkPolicy", "cidrs", index], what: "Vault", host: address });
  });
  return endpoints.filter((e): e is { path: Path; what: string; host: string } => Boolean(e.host)).map((e) => ({ ...e, host: e.host.toLowerCase() }));
}

// The hub and the gateway are the services this stack exposes; each must have a name and an
// address of its own. Other services may share a host among themselves (Vault and Keycloak
// behind one reverse proxy, NFS on the registry's machine): that is not this stack's to judge.
const EXPOSED = new Set(["the hub", "the SSH gateway"]);

export function checkServiceEndpoints(sections: Sections): CrossCheckProblem[] {
  const endpoints = serviceEndpoints(sections);
  const problems: CrossCheckProblem[] = [];
  endpoints.forEach((endpoint, index) => {
    if (!EXPOSED.has(endpoint.what)) return;
    const other = endpoints.find((e, j) => e.host === endpoint.host && e.what !== endpoint.what && (!EXPOSED.has(e.what) || j < index));
    if (!other) return;
    // hub.host and ssh.host, and the two LoadBalancer addresses, are reported by checkSshGateway.
    if (EXPOSED.has(other.what) && other.path.at(-1) === endpoint.path.at(-1)) return;
    const isAddress = net.isIP(endpoint.host) > 0;
    problems.push({
      path: endpoint.path,
      message: isAddress
        ? `${endpoint.host} is already the address of ${other.what} (jupyterhub:${other.path.join(".")}); ${endpoint.what} needs an address of its own, or both would answer on it`
        : `${endpoint.host} is already the name of ${other.what} (jupyterhub:${other.path.join(".")}); ${endpoint.what} needs a name of its own, e.g. ${endpoint.what === "the hub" ? "hub" : "ssh"}.${endpoint.host.split(".").slice(1).join(".") || endpoint.host}`,
    });
  });
  return problems;
}

/** The key itself (type and base64), without its comment: the same key with two comments is one key. */
function keyIdentity(line: string): string {
  return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

export function checkSharedSshKeys({ users }: Sections): CrossCheckProblem[] {
  if (!users) return [];
  const problems: CrossCheckProblem[] = [];
  const owners = new Map<string, number>();
  users.forEach((user, index) => {
    (user.ssh?.publicKeys ?? []).forEach((key, position) => {
      const identity = `key:${keyIdentity(key)}`;
      const first = owners.get(identity);
      if (first === undefined) owners.set(identity, index);
      else if (first !== index) {
        problems.push({
          path: ["users", index, "ssh", "publicKeys", position],
          message: `this key is also a key of users[${first}] (${users[first].name}): whoever holds it could log in as both. Give each person their own key`,
        });
      }
    });
    (user.ssh?.onePasswordKeys ?? []).forEach((item, position) => {
      const identity = `item:${item.vault}/${item.item}`;
      const first = owners.get(identity);
      if (first === undefined) owners.set(identity, index);
      else if (first !== index) {
        problems.push({
          path: ["users", index, "ssh", "onePasswordKeys", position],
          message: `is also a key item of users[${first}] (${users[first].name}): whoever holds that key could log in as both. Give each person their own key`,
        });
      }
    });
  });
  return problems;
}
