// Names that no public DNS resolves and no public CA will certify: Let's Encrypt validates a name
// by reaching it over the internet (HTTP-01) or its public DNS (DNS-01), and issues for no private
// address. The suffixes are the special-use names of RFC 6761 (.example, .invalid, .localhost),
// RFC 6762 (.local, mDNS), RFC 8375 (.home.arpa), ICANN's reserved .internal (2024), and the
// suffixes home routers hand out (.lan, .home, .localdomain, .corp). RFC 6761's .test is left out:
// the test fixtures use it as a stand-in for a public name.
import * as net from "net";

const PRIVATE_SUFFIXES = [
  "local",
  "localhost",
  "localdomain",
  "lan",
  "home",
  "home.arpa",
  "internal",
  "intranet",
  "corp",
  "private",
  "example",
  "invalid",
  "cluster.local",
];

/** Why no public CA can certify this host name, or undefined when it may be public. */
export function notPublicReason(host: string): string | undefined {
  const name = host.toLowerCase().replace(/\.$/, "");
  if (net.isIP(name)) return `${name} is an IP address; Let's Encrypt certifies DNS names (and no private address)`;
  if (!name.includes(".")) return `${name} is a single-label name, which public DNS does not resolve`;
  const suffix = PRIVATE_SUFFIXES.find((s) => name === s || name.endsWith(`.${s}`));
  if (suffix) return `.${suffix} names are not in public DNS`;
  // Names that embed a private address (10-0-0-5.nip.io, 192.168.1.10.sslip.io) resolve publicly
  // to that address, which Let's Encrypt's validation servers cannot reach.
  const embedded = /(^|[.-])((?:\d{1,3}[.-]){3}\d{1,3})\.(nip\.io|sslip\.io)$/.exec(name);
  if (embedded && isPrivateIpv4(embedded[2].replace(/-/g, "."))) return `${name} resolves to a private address, which Let's Encrypt cannot reach`;
  return undefined;
}

export function isPrivateIpv4(address: string): boolean {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return false;
  const [a, b] = parts;
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254);
}
