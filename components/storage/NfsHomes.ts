import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { NFS_HOMES_CLAIM, nfsHomesVolumeName } from "./homeVolumes";

type NfsStorage = Extract<Settings["storage"], { type: "nfs" }>;

export interface NfsHomesArgs {
  readonly storage: NfsStorage;
  readonly namespace: string;
  /** Adopts the volume and claim a previous `pulumi destroy` kept (adoptingProviderArgs). */
  readonly adoptingProvider: k8s.Provider;
  /** The labels that mark them as this stack's, so only they are adopted again (ownerLabels). */
  readonly ownerLabels: Readonly<Record<string, string>>;
  /** Checks, before they are adopted, that kept ones carry those labels (AdoptionGuard). */
  readonly adoptionGuard?: pulumi.Resource;
}

/**
 * One NFS PersistentVolume (ReadWriteMany, reclaim Retain) and its claim for every user's home.
 * Both are kept on `pulumi destroy` unless the stack opts in to deleting homes; even then the
 * volume's Retain policy leaves the files on the NFS server.
 */
export class NfsHomes extends pulumi.ComponentResource {
  public readonly claimName: pulumi.Output<string>;

  constructor(name: string, args: NfsHomesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:storage:NfsHomes", name, {}, opts);
    const { storage } = args;
    const keep = {
      parent: this,
      provider: args.adoptingProvider,
      retainOnDelete: !storage.deleteHomesOnDestroy,
      ...(args.adoptionGuard ? { dependsOn: [args.adoptionGuard] } : {}),
    };
    const volumeName = nfsHomesVolumeName(args.namespace);
    const volume = new k8s.core.v1.PersistentVolume(
      name,
      {
        metadata: { name: volumeName, labels: { ...args.ownerLabels } },
        spec: {
          capacity: { storage: storage.capacity },
          accessModes: ["ReadWriteMany"],
          persistentVolumeReclaimPolicy: "Retain",
          storageClassName: "",
          mountOptions: [...storage.mountOptions],
          nfs: { server: storage.server, path: storage.path },
          // Reserved for this claim, so no other claim in the cluster can bind the homes.
          claimRef: { namespace: args.namespace, name: NFS_HOMES_CLAIM },
        },
      },
      keep,
    );
    const claim = new k8s.core.v1.PersistentVolumeClaim(
      name,
      {
        metadata: { name: NFS_HOMES_CLAIM, namespace: args.namespace, labels: { ...args.ownerLabels } },
        spec: {
          accessModes: ["ReadWriteMany"],
          storageClassName: "",
          volumeName: volume.metadata.name,
          resources: { requests: { storage: storage.capacity } },
        },
      },
      keep,
    );
    this.claimName = claim.metadata.name;
    this.registerOutputs({ claimName: this.claimName });
  }
}
