import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import type { BuiltImages } from "../images/imageBuild";
import { buildHubValues } from "./hubValues";
import { hubUrl } from "./hubUrl";
import { placeholderImages, withBuiltImages } from "./releaseValues";
import { foldersToBuild } from "../images/imageBuild";

export const CHART_REPOSITORY = "https://hub.jupyter.org/helm-chart/";
export const CHART_NAME = "jupyterhub";

export interface HubArgs {
  readonly settings: Settings;
  /** Namespace the release goes into; created beforehand by HubNamespace. */
  readonly namespace: pulumi.Input<string>;
  /** What must exist before the hub starts, such as the Secret its environment reads. */
  readonly waitFor: readonly pulumi.Resource[];
  /** Pushed references of the images the stack builds, by folder. */
  readonly builtImages?: pulumi.Input<BuiltImages>;
  /** Secret every pod pulls images with. */
  readonly pullSecret?: string;
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

    const release = new k8s.helm.v3.Release(
      name,
      {
        name: hub.releaseName,
        namespace: args.namespace,
        chart: CHART_NAME,
        version: hub.chartVersion,
        repositoryOpts: { repo: CHART_REPOSITORY },
        values: releaseValues(args),
        // The pre-puller hook waits for every profile image on every node; big images take long.
        timeout: 1200,
        maxHistory: 10,
      },
      { parent: this, dependsOn: [...args.waitFor] },
    );

    this.releaseName = release.name;
    this.url = pulumi.output(hubUrl(args.settings));
    this.registerOutputs({ releaseName: this.releaseName, url: this.url });
  }
}

/** The chart values; only the built images' references wait for their builds. */
function releaseValues(args: HubArgs): pulumi.Input<Record<string, unknown>> {
  const folders = args.builtImages ? foldersToBuild(args.settings.profiles) : [];
  if (folders.length === 0) return buildHubValues(args.settings, {}, args.pullSecret);
  const placeholders = placeholderImages(folders);
  return withBuiltImages(buildHubValues(args.settings, placeholders, args.pullSecret), placeholders, args.builtImages!);
}
