// Users over their whole life: who had access and no longer has (`jupyterhub:formerUsers`), who
// was renamed (`users[].renamedFrom`) and who takes over a former user's name on purpose
// (`users[].inherit`). Pulumi remembers nothing of a config entry once it is gone, and a user's
// home (KubeSpawner names it after the username), Vault secrets (a path named after the username)
// and hub account are all keyed on the name: so the config is the record of names that are taken.
import { z } from "zod";
import { username } from "./primitives";

export const formerUsersSchema = z
  .array(
    z.strictObject({
      name: username.describe("The username they had."),
      renamedFrom: z
        .array(username)
        .min(1, { error: "list the earlier names, or leave renamedFrom out" })
        .optional()
        .describe("Their earlier names, oldest first, when they had been renamed: their home is the oldest name's."),
      note: z.string().optional().describe("Free text for whoever reads the config later: when, why, where the data is meant to go."),
    }),
  )
  .default([])
  .describe(
    "People who had access and no longer have. Their servers are stopped, their hub API tokens revoked and they can no longer log in; their home and Vault secrets are kept (listed by the formerHomes output). Their name cannot be given to someone else unless that user says inherit: true.",
  );

/** Fields of a `jupyterhub:users` entry; optional, so a user without them parses as before. */
export const userLifecycleFields = {
  renamedFrom: z
    .array(username)
    .min(1, { error: "list the earlier names, or leave renamedFrom out" })
    .optional()
    .describe(
      "Earlier names of this user, oldest first. Their hub account is renamed, their Vault secrets are copied to the new name, and their home stays where it is (the oldest name's claim or NFS sub-directory): keep this as long as the home is in use. The old names stay retired.",
    ),
  inherit: z
    .boolean()
    .optional()
    .describe(
      "This user's name is in jupyterhub:formerUsers and they are meant to get that person's home, Vault secrets and hub account (the same person back, or a deliberate hand-over).",
    ),
};

