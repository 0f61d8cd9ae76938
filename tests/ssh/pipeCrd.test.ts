// The Pipe CRD the program declares refuses the Pipes sshpiperd v1.6.1 would turn into an open door,
// and takes the ones the hub writes (components/ssh/ssh_pipes.py, run here in python3). The API
// server validates a custom object against the CRD's openAPIV3Schema; ajv stands in for it on the
// keywords this schema uses (type, required, properties, minLength, minItems, anyOf).
import Ajv from "ajv";
import { spawnSync } from "child_process";
import * as path from "path";
import { pipeCrdArgs } from "../../components/ssh/gatewayObjects";

const PROJECT_ROOT = path.resolve(__dirname, "../..");
const KNOWN_HOSTS = Buffer.from("[10.42.1.20]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm4lCq0hGqkqz3y2m0d0H6b2Yb1m9Jm1p8x3xk0aDa1\n").toString("base64");

const schema = (pipeCrdArgs() as any).spec.versions[0].schema.openAPIV3Schema;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

function pipe(from: Record<string, unknown>, to: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "sshpiper.com/v1beta1",
    kind: "Pipe",
    metadata: { name: "ssh-jupyter-maria" },
    spec: {
      from: [{ username: "maria", ...from }],
      to: { host: "10.42.1.20:2222", username: "jovyan", private_key_secret: { name: "jupyterhub-ssh-upstream" }, known_hosts_data: KNOWN_HOSTS, ...to },
    },
  };
}

/** The Pipe ssh_pipes.py writes for a server, with a host key it made. */
function hubPipe(): Record<string, unknown> {
  const script = [
    "import importlib.util, json, sys",
    "spec = importlib.util.spec_from_file_location('ssh_pipes', sys.argv[1])",
    "ssh_pipes = importlib.util.module_from_spec(spec); spec.loader.exec_module(ssh_pipes)",
    "config = {'release': 'jupyterhub', 'users': {'maria': 'user-maria'}, 'userKeysSecretName': 'keys', 'port': 2222, 'serverUser': 'jovyan', 'upstreamKeySecretName': 'up'}",
    "_, public = ssh_pipes.new_host_key()",
    "print(json.dumps(ssh_pipes.pipe_manifest(config, username='maria', server_name='gpu', namespace='jupyterhub', pod_name='jupyter-maria--gpu', pod_uid='u', pod_ip='10.42.1.20', host_public_key=public)))",
  ].join("\n");
  const run = spawnSync("python3", ["-c", script, path.join(PROJECT_ROOT, "components", "ssh", "ssh_pipes.py")], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

describe("the Pipe CRD", () => {
  it("takes the Pipe the hub writes", () => {
    const written = hubPipe();
    expect(validate(written)).toBe(true);
    expect((written.spec as any).to.known_hosts_data).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it("takes keys given any way sshpiper reads them", () => {
    for (const from of [{ authorized_keys_secret: { name: "keys" } }, { authorized_keys_data: "c3NoLWVkMjU1MTkgQUFBQQ==" }, { authorized_keys_file: "/keys" }]) {
      expect({ from, valid: validate(pipe(from)) }).toEqual({ from, valid: true });
    }
  });

  // plugin/kubernetes/skel.go (v1.6.1): From() makes an entry a password login unless
  // authorized_keys_data, authorized_keys_file or authorized_keys_secret.name is non-empty, and
  // TestPassword then matches when there is no htpasswd at all (`pwdmatched := len(pwds) == 0`).
  it.each<[string, Record<string, unknown>]>([
    ["no keys at all (any password logs in)", {}],
    ["a password file instead of keys", { htpasswd_data: "bWFyaWE6JDJ5JDA1JGFiYw==" }],
    ["a keys Secret without a name", { authorized_keys_secret: {} }],
    ["a keys Secret with an empty name", { authorized_keys_secret: { name: "" } }],
    ["empty keys data", { authorized_keys_data: "" }],
  ])("refuses a from entry with %s", (_, from) => {
    expect(validate(pipe(from))).toBe(false);
  });

  // cmd/sshpiperd/internal/plugin/grpc.go (v1.6.1) buildHostKeyCallback: empty known_hosts_data
  // means ssh.InsecureIgnoreHostKey().
  it.each<[string, Record<string, unknown>]>([
    ["no known_hosts_data (any host key taken)", { known_hosts_data: undefined }],
    ["an empty known_hosts_data", { known_hosts_data: "" }],
  ])("refuses a route with %s", (_, to) => {
    const withoutKey = pipe({ authorized_keys_secret: { name: "keys" } }, to);
    expect(validate(JSON.parse(JSON.stringify(withoutKey)))).toBe(false);
  });

  it("refuses a Pipe with no from entry", () => {
    const empty = pipe({ authorized_keys_secret: { name: "keys" } });
    (empty.spec as any).from = [];
    expect(validate(empty)).toBe(false);
  });

  it("keeps value checks out of the junctors' structure, as a structural schema must", () => {
    // apiextensions.k8s.io/v1: inside anyOf/allOf/oneOf/not no type, description, default,
    // additionalProperties or nullable, and every property named there is also declared outside.
    const items = schema.properties.spec.properties.from.items;
    const forbidden = ["type", "description", "default", "additionalProperties", "nullable"];
    for (const branch of items.anyOf) {
      const walk = (node: Record<string, any>) => {
        for (const key of forbidden) expect(node).not.toHaveProperty(key);
        for (const child of Object.values(node.properties ?? {})) walk(child as Record<string, any>);
      };
      walk(branch);
      for (const property of Object.keys(branch.properties)) expect(items.properties).toHaveProperty(property);
    }
  });
});
