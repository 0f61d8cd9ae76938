import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { dockerConfigJson } from "./imageBuild";

export interface PullSecretArgs {
  readonly namespace: pulumi.Input<string>;
  readonly secretName: string;
  readonly server: string;
  readonly username: pulumi.Input<string>;
  readonly token: pulumi.Input<string>;
}

/**
 * The read-only registry login (images.pullCredentials) as a kubernetes.io/dockerconfigjson Secret,
 * a Pulumi secret throughout. The hub's Role may read Secrets in its namespace, so what lands here
 * must be able to pull and nothing more; the push token never does (program.ts, deployImages).
 */
export class PullSecret extends pulumi.ComponentResource {
  public readonly secret: k8s.core.v1.Secret;

  constructor(name: string, args: PullSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:images:PullSecret", name, {}, opts);
    const config = pulumi
      .all([args.username, args.token])
      .apply(([username, token]) => dockerConfigJson(args.server, username, token));
    this.secret = new k8s.core.v1.Secret(
      name,
      {
        metadata: { name: args.secretName, namespace: args.namespace },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": pulumi.secret(config) },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
