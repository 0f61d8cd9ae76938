import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface HubCertificateArgs {
  readonly namespace: pulumi.Input<string>;
  readonly host: string;
  readonly secretName: string;
  readonly issuer: { readonly name: string; readonly kind: "ClusterIssuer" | "Issuer" };
}

/**
 * cert-manager's Certificate for the hub's host, in the hub's namespace. The stack creates that
 * namespace, so a TLS Secret made beforehand would have nowhere to live; this is made right after
 * the namespace, and Pulumi waits until cert-manager reports it Ready (the provider's
 * `pulumi.com/waitFor` annotation) before the release that mounts its Secret.
 */
export class HubCertificate extends pulumi.ComponentResource {
  public readonly certificate: k8s.apiextensions.CustomResource;

  constructor(name: string, args: HubCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:trust:HubCertificate", name, {}, opts);
    this.certificate = new k8s.apiextensions.CustomResource(name, hubCertificateArgs(args), { parent: this });
    this.registerOutputs({});
  }
}

export function hubCertificateArgs(args: HubCertificateArgs): k8s.apiextensions.CustomResourceArgs {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: {
      name: args.secretName,
      namespace: args.namespace,
      annotations: { "pulumi.com/waitFor": "condition=Ready" },
    },
    spec: {
      secretName: args.secretName,
      dnsNames: [args.host],
      issuerRef: { name: args.issuer.name, kind: args.issuer.kind, group: "cert-manager.io" },
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    },
  };
}
