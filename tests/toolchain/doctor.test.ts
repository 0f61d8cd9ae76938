// `npm run doctor`: what a stack needs from outside, checked with stand-in probes.
import { doctor, report, requiredEnvironment, type Probes } from "../../offline/doctor";
import { renderStack } from "../harness/renderStack";
import { readStackConfig } from "../harness/stackConfig";

const kubectlCalls: string[][] = [];
function probes(overrides: Partial<Probes> = {}, present: string[] = []): Probes {
  kubectlCalls.length = 0;
  return {
    kubeconfig: () => ({ file: "/home/maria/.kube/config", contexts: ["homelab", "kind-kind"], current: "homelab" }),
    resolves: async (host) => host !== "vault.home.arpa",
    kubectl: (context, args) => {
      kubectlCalls.push([context, ...args]);
      const name = args[args.length - 1];
      return present.includes(name) ? { ok: true, output: "" } : { ok: false, output: `Error from server (NotFound): "${name}" not found\n` };
    },
    environment: { OP_SERVICE_ACCOUNT_TOKEN: "ops_x", VAULT_ADDR: "https://vault.home.arpa:8200", VAULT_TOKEN: "hvs.x" },
    ...overrides,
  };
}

it("checks the homelab stack's context, addresses, credentials, CRDs and issuer", async () => {
  const { settings } = await renderStack(readStackConfig("homelab"), "homelab");
  const findings = await doctor(settings, probes({}, ["externalsecrets.external-secrets.io", "certificates.cert-manager.io", "vault-homelab"]));
  expect(findings.map((f) => `${f.verdict} ${f.what}`)).toEqual([
    "ok cluster context homelab",
    "ok Keycloak (keycloak.url): auth.home.arpa resolves",
    "missing Vault (vault.address): vault.home.arpa",
    "ok 1Password (items the stack reads): OP_SERVICE_ACCOUNT_TOKEN set",
    "missing Keycloak admin",
    "ok Vault (the operator's token): VAULT_ADDR, VAULT_TOKEN set",
    "ok CRD externalsecrets.external-secrets.io",
    "ok ClusterSecretStore vault-homelab",
    "ok CRD certificates.cert-manager.io",
    "missing ClusterIssuer homelab-ca",
  ]);
  expect(kubectlCalls).toContainEqual(["homelab", "get", "clusterissuer", "homelab-ca"]);
  expect(report("homelab", findings)).toMatch(/MISSING ClusterIssuer homelab-ca: https\.issuer names it: create it \(Error from server \(NotFound\)/);
  expect(report("homelab", findings).split("\n").pop()).toBe("stack homelab: 3 things to fix before pulumi up");
});

it("names the contexts it has when the configured one is missing, and checks nothing in a cluster it cannot find", async () => {
  const { settings } = await renderStack(readStackConfig("dev"), "dev");
  const findings = await doctor({ ...settings, cluster: { context: "kind-dev" } }, probes());
  expect(findings).toEqual([{ verdict: "missing", what: "cluster context kind-dev", detail: "not in /home/maria/.kube/config (it has: homelab, kind-kind)" }]);
  expect(kubectlCalls).toEqual([]);
});

it("says what it could not check without kubectl, and needs no credentials for dev", async () => {
  const { settings } = await renderStack(readStackConfig("dev"), "dev");
  expect(requiredEnvironment(settings)).toEqual([]);
  const findings = await doctor({ ...settings, https: { type: "secret", secretName: "hub-tls" } }, probes({ kubectl: () => undefined }));
  expect(findings.map((f) => f.verdict)).toEqual(["ok", "skipped"]);
  expect(report("dev", findings)).toContain("skipped TLS Secret jupyterhub-dev/hub-tls: kubectl is not installed; not checked");
});
