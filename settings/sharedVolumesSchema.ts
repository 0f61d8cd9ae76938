// Extra NFS shares mounted into users' servers, each for everyone or only for some groups.
import { z } from "zod";
import { dnsLabel, groupName, nfsServer } from "./primitives";

export const sharedVolumesSchema = z
  .array(
    z.strictObject({
      name: dnsLabel("a shared volume name").describe("Name of the share; the volume in the pod is shared-<name>."),
      server: nfsServer.describe("NFS server, by an address or a name the nodes resolve (the kubelet mounts it, not a pod)."),
      path: z.string().regex(/^\/\S*$/, { error: "must be the absolute exported path" }).describe("Exported directory."),
      mountPath: z
        .string()
        .regex(/^\/\S*$/, { error: "must be an absolute path in the server" })
        .optional()
        .describe("Where it appears in the server. Default: /srv/shared/<name>."),
      readOnly: z.boolean().default(true).describe("Mount it read-only."),
      groups: z.array(groupName).default([]).describe("Only members of these groups get it (admins always do); empty means everyone."),
    }),
  )
  .default([])
  .describe("Shared NFS directories (datasets, course material) mounted into servers.");

export type SharedVolumes = z.output<typeof sharedVolumesSchema>;
