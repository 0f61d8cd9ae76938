import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface CaBundleArgs {
  readonly namespace: pulumi.Input<string>;
  readonly configMapName: string;
  /** The PEM text; a CA certificate is public, so it is kept in plain sight in state and diffs. */
  readonly pem: pulumi.Input<string>;
}

/** The ConfigMap that carries a CA given as a file or a 1Password item into the hub's namespace. */
export class CaBundle extends pulumi.ComponentResource {
  public readonly configMap: k8s.core.v1.ConfigMap;

  constructor(name: string, args: CaBundleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:trust:CaBundle", name, {}, opts);
    this.configMap = new k8s.core.v1.ConfigMap(
      name,
      {
        metadata: { name: args.configMapName, namespace: args.namespace, labels: { "app.kubernetes.io/part-of": "jupyterhub" } },
        data: { "ca.crt": args.pem },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
