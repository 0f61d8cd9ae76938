// NFS homes under mocks: one Retain volume and claim, always kept on destroy (the files are never deleted here).
import { renderStack } from "../harness/renderStack";
import type { RecordedResource } from "../harness/recordedResource";
import { asStackConfig, minimalConfig, type RawConfig } from "../fixtures/configs";

const nfs = (overrides: RawConfig = {}) => ({ type: "nfs", server: "nas.home.arpa", path: "/export/jupyter/homes", ...overrides });
const only = (resources: RecordedResource[], type: string) => {
  const found = resources.filter((r) => r.type === type);
  expect(found).toHaveLength(1);
  return found[0];
};

it("declares one ReadWriteMany NFS volume with reclaim Retain and its claim, both kept on destroy", async () => {
  const { resources } = await renderStack(asStackConfig({ ...minimalConfig(), storage: nfs() }));
  const volume = only(resources, "kubernetes:core/v1:PersistentVolume");
  expect(volume.retainOnDelete).toBe(true);
  expect(volume.inputs).toMatchObject({
    metadata: { name: "jupyterhub-homes" },
    spec: {
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      capacity: { storage: "500Gi" },
      mountOptions: ["nfsvers=4.1", "hard"],
      nfs: { server: "nas.home.arpa", path: "/export/jupyter/homes" },
      claimRef: { namespace: "jupyterhub", name: "homes" },
      storageClassName: "",
    },
  });
  // A later `pulumi up` adopts what an earlier destroy kept, as it does the namespace.
  expect(volume.provider).toBe("pulumi:providers:kubernetes::kubernetes-adopting");
  const claim = only(resources, "kubernetes:core/v1:PersistentVolumeClaim");
  expect(claim.provider).toBe("pulumi:providers:kubernetes::kubernetes-adopting");
  expect(claim.retainOnDelete).toBe(true);
  expect(claim.inputs).toMatchObject({ metadata: { name: "homes", namespace: "jupyterhub" }, spec: { volumeName: "jupyterhub-homes", accessModes: ["ReadWriteMany"] } });
  expect(only(resources, "kubernetes:core/v1:Namespace").retainOnDelete).toBe(true);
});

it("refuses deleteHomesOnDestroy on NFS homes, whose files nothing here deletes, naming the key", async () => {
  await expect(renderStack(asStackConfig({ ...minimalConfig(), storage: nfs({ deleteHomesOnDestroy: true }) }))).rejects.toThrow(
    /jupyterhub:storage\.deleteHomesOnDestroy: has no effect on NFS homes/,
  );
});

it("mounts each user's sub-directory and hands a new one to the notebook user", async () => {
  const { values } = await renderStack(asStackConfig({ ...minimalConfig(), storage: nfs() }));
  const singleuser = (values as Record<string, any>).singleuser;
  expect(singleuser.storage).toEqual({ type: "static", static: { pvcName: "homes", subPath: "{username}" } });
  expect(singleuser.initContainers).toEqual([
    expect.objectContaining({
      name: "home-owner",
      image: "docker.io/library/busybox:1.37.0",
      securityContext: expect.objectContaining({ runAsUser: 0, capabilities: { drop: ["ALL"], add: ["CHOWN", "FOWNER"] } }),
      volumeMounts: [{ name: "home", mountPath: "/home/jovyan", subPath: "{username}" }],
    }),
  ]);
  expect(singleuser.initContainers[0].command[2]).toBe(
    'if [ "$(stat -c %u /home/jovyan)" = 0 ]; then chown 1000:100 /home/jovyan && chmod 0750 /home/jovyan; fi',
  );
});

it("rejects an NFS block without its server or with a relative path", async () => {
  await expect(renderStack(asStackConfig({ ...minimalConfig(), storage: { type: "nfs", path: "homes" } }))).rejects.toThrow(
    /jupyterhub:storage.server: is required \(string\)\n.*jupyterhub:storage.path: must be the absolute exported path/,
  );
});

describe("shared volumes", () => {
  const shared = [
    { name: "datasets", server: "nas.home.arpa", path: "/volume1/datasets" },
    { name: "models", server: "nas.home.arpa", path: "/volume1/models", readOnly: false, mountPath: "/home/jovyan/models", groups: ["gpu"] },
  ];

  it("mounts every share, read-only unless asked, and gates group-only ones in the hub", async () => {
    const { values } = await renderStack(asStackConfig({ ...minimalConfig(), groups: ["gpu"], sharedVolumes: shared }));
    const singleuser = (values as Record<string, any>).singleuser;
    expect(singleuser.storage.extraVolumes).toEqual([
      { name: "shared-datasets", nfs: { server: "nas.home.arpa", path: "/volume1/datasets", readOnly: true } },
      { name: "shared-models", nfs: { server: "nas.home.arpa", path: "/volume1/models", readOnly: false } },
    ]);
    expect(singleuser.storage.extraVolumeMounts).toEqual([
      { name: "shared-datasets", mountPath: "/srv/shared/datasets", readOnly: true },
      { name: "shared-models", mountPath: "/home/jovyan/models", readOnly: false },
    ]);
    const hub = (values as Record<string, any>).hub;
    expect(hub.extraConfig["60-shared-volumes"]).toMatch(/\nshared_volumes\.install\(c, get_config\("custom.sharedVolumes", \[\]\)\)\n$/);
    expect((values as Record<string, any>).custom.sharedVolumes).toEqual([{ volume: "shared-models", groups: ["gpu"] }]);
  });

  it("loads no hook when every share is for everyone", async () => {
    const { values } = await renderStack(asStackConfig({ ...minimalConfig(), sharedVolumes: [shared[0]] }));
    const hub = (values as Record<string, any>).hub;
    expect(Object.keys(hub.extraConfig)).not.toContain("60-shared-volumes");
    expect(Object.keys(hub.extraFiles)).not.toContain("python-shared-volumes");
  });

  it("rejects a share for a group nobody has, and two shares with one name", async () => {
    await expect(renderStack(asStackConfig({ ...minimalConfig(), sharedVolumes: [shared[1], { ...shared[1], groups: [] }] }))).rejects.toThrow(
      /jupyterhub:sharedVolumes\[0\]\.groups\[0\]: group 'gpu' is neither declared.*\n.*jupyterhub:sharedVolumes\[1\]\.name: 'models' is already the name of sharedVolumes\[0\]/,
    );
  });
});
