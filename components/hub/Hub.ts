import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { hubSecretEnvironment } from "./authValues";
import { buildHubValues, hubEnvironmentSecretName } from "./hubValues";
import { hubUrl } from "./hubUrl";

export const CHART_REPOSITORY = "https://hub.jupyter.org/helm-chart/";
export const CHART_NAME = "jupyterhub";

export interface HubArgs {
  readonly settings: Settings;
  /** Namespace the release goes into; created beforehand by HubNamespace. */
  readonly namespace: pulumi.Input<string>;
  /**
   * Values of the hub's secret environment variables, exactly the names hubSecretEnvironment
   * gives for these settings (e.g. the OAuth client secret). They go into a Kubernetes Secret
   * that the chart values reference, never into the values themselves.
   */
  readonly secretEnvironment: Readonly<Record<string, pulumi.Input<string>>>;
}

/**
 * The Zero to JupyterHub release. A helm.v3.Release (not helm.v4.Chart): the chart relies on
 * Helm hooks (image pre-puller) and on Helm `lookup` to keep its generated secrets stable
 * across upgrades, which only a real Helm release gives.
 */
export class Hub extends pulumi.ComponentResource {
  public readonly releaseName: pulumi.Output<string>;
  public readonly url: pulumi.Output<string>;

  constructor(name: string, args: HubArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:hub:Hub", name, {}, opts);
    const { hub } = args.settings;

    const expected = hubSecretEnvironment(args.settings);
    const given = Object.keys(args.secretEnvironment);
    if (expected.join() !== [...given].sort().join()) {
      throw new Error(`the hub needs secret environment ${expected.join(", ") || "(none)"}, got ${given.join(", ") || "(none)"}`);
    }
    const environmentSecret =
      expected.length > 0
        ? new k8s.core.v1.Secret(
            `${name}-hub-env`,
            {
              metadata: { name: hubEnvironmentSecretName(hub.releaseName), namespace: args.namespace },
              type: "Opaque",
              stringData: pulumi.secret(args.secretEnvironment as Record<string, pulumi.Input<string>>),
            },
            { parent: this },
          )
        : undefined;

    const release = new k8s.helm.v3.Release(
      name,
      {
        name: hub.releaseName,
        namespace: args.namespace,
        chart: CHART_NAME,
        version: hub.chartVersion,
        repositoryOpts: { repo: CHART_REPOSITORY },
        values: buildHubValues(args.settings),
        // The pre-puller hook waits for every profile image on every node; big images take long.
        timeout: 1200,
        maxHistory: 10,
      },
      { parent: this, dependsOn: environmentSecret ? [environmentSecret] : [] },
    );

    this.releaseName = release.name;
    this.url = pulumi.output(hubUrl(args.settings));
    this.registerOutputs({ releaseName: this.releaseName, url: this.url });
  }
}
