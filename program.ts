// The whole deployment, composed from the settings. index.ts runs it under the Pulumi CLI;
// `npm run render` and the tests run it in-process under mocks.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./settings";
import { kubernetesProviderArgs } from "./components/cluster/kubernetesProviderArgs";
import { HubNamespace } from "./components/namespace/HubNamespace";
import { Hub } from "./components/hub/Hub";

export interface Deployment {
  readonly hubUrl: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;
  readonly releaseName: pulumi.Output<string>;
}

export function deployJupyterHub(settings: Settings): Deployment {
  const kubernetes = new k8s.Provider("kubernetes", kubernetesProviderArgs(settings.cluster));
  const namespace = new HubNamespace("jupyterhub", {
    namespace: settings.hub.namespace,
    cluster: settings.cluster,
    deleteHomesOnDestroy: settings.storage.deleteHomesOnDestroy,
  });
  const hub = new Hub("jupyterhub", { settings, namespace: namespace.name }, { providers: { kubernetes } });
  return { hubUrl: hub.url, namespace: namespace.name, releaseName: hub.releaseName };
}
