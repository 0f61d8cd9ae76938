// @ts-check
// Edits the e2e stack file (Pulumi.e2e.yaml) the way the e2e job needs, keeping its comments:
//
//   node .github/scripts/e2e/stack.cjs prepare --nfs-server <address> --ssh-key-file <key.pub>
//         --ssh-host <node address> --ssh-source-range <cidr> [--file <stack file>]
//       the runner's NFS server, the run's throwaway key, the kind node's address (where users
//       reach the gateway's node port) and the runner's own address on kind's network (where
//       they come from), instead of the committed stand-ins;
//   node .github/scripts/e2e/stack.cjs retire <user> [--note <text>] [--file <stack file>]
//       moves a user from jupyterhub:users to jupyterhub:formerUsers, the way an operator offboards.
//
// The pure parts are tested in tests/lifecycle/e2eScripts.test.ts, which renders the results.
"use strict";
const fs = require("fs");
const YAML = require("yaml");

const DEFAULT_FILE = "Pulumi.e2e.yaml";

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
/** @param {string} address */
const isIpv4 = (address) => IPV4.test(address) && address.split(".").every((part) => Number(part) <= 255);

/**
 * @param {string} text
 * @param {{ nfsServer: string, sshKey: string, sshHost: string, sshSourceRange: string, user?: string }} options
 */
function prepare(text, options) {
  const document = YAML.parseDocument(text);
  if (!/^[A-Za-z0-9.:-]+$/.test(options.nfsServer)) throw new Error(`not an NFS server address: ${options.nfsServer}`);
  if (!isIpv4(options.sshHost)) throw new Error(`not the kind node's IPv4 address: ${options.sshHost}`);
  const [range, bits, ...extra] = options.sshSourceRange.split("/");
  if (extra.length > 0 || !isIpv4(range) || !/^\d{1,2}$/.test(bits ?? "") || Number(bits) > 32) throw new Error(`not an IPv4 range: ${options.sshSourceRange}`);
  document.setIn(["config", "jupyterhub:storage", "server"], options.nfsServer);
  document.setIn(["config", "jupyterhub:ssh", "host"], options.sshHost);
  document.setIn(["config", "jupyterhub:ssh", "sourceRanges"], document.createNode([options.sshSourceRange]));
  const users = /** @type {YAML.YAMLSeq<YAML.YAMLMap>} */ (document.getIn(["config", "jupyterhub:users"]));
  const name = options.user ?? "alice";
  const index = users.items.findIndex((user) => user.get("name") === name);
  if (index < 0) throw new Error(`no user ${name} in jupyterhub:users`);
  document.setIn(["config", "jupyterhub:users", index, "ssh", "publicKeys"], document.createNode([options.sshKey.trim()]));
  return document.toString();
}

/** @param {string} text @param {string} name @param {string} [note] */
function retire(text, name, note) {
  const document = YAML.parseDocument(text);
  const users = /** @type {YAML.YAMLSeq<YAML.YAMLMap>} */ (document.getIn(["config", "jupyterhub:users"]));
  const index = users.items.findIndex((user) => user.get("name") === name);
  if (index < 0) throw new Error(`no user ${name} in jupyterhub:users`);
  users.items.splice(index, 1);
  const former = document.getIn(["config", "jupyterhub:formerUsers"]);
  const entry = document.createNode({ name, ...(note ? { note } : {}) });
  if (former) /** @type {YAML.YAMLSeq} */ (former).items.push(entry);
  else document.setIn(["config", "jupyterhub:formerUsers"], document.createNode([{ name, ...(note ? { note } : {}) }]));
  return document.toString();
}

const PREPARE_USAGE = "usage: stack.cjs prepare --nfs-server <address> --ssh-key-file <key.pub> --ssh-host <address> --ssh-source-range <cidr> [--file <stack file>]";

/** @param {string[]} argv */
function main(argv) {
  const [command, ...rest] = argv;
  const option = (name) => {
    const at = rest.indexOf(name);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  const file = option("--file") ?? DEFAULT_FILE;
  const text = fs.readFileSync(file, "utf8");
  if (command === "prepare") {
    const nfsServer = option("--nfs-server");
    const keyFile = option("--ssh-key-file");
    const sshHost = option("--ssh-host");
    const sshSourceRange = option("--ssh-source-range");
    if (!nfsServer || !keyFile || !sshHost || !sshSourceRange) throw new Error(PREPARE_USAGE);
    fs.writeFileSync(file, prepare(text, { nfsServer, sshKey: fs.readFileSync(keyFile, "utf8"), sshHost, sshSourceRange }));
  } else if (command === "retire" && rest[0] && !rest[0].startsWith("--")) {
    fs.writeFileSync(file, retire(text, rest[0], option("--note")));
  } else {
    throw new Error(`${PREPARE_USAGE} | retire <user> [--note <text>] [--file <stack file>]`);
  }
}

module.exports = { prepare, retire, main };

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
}
