// Where a secret comes from at deploy time. Stack files never hold a secret, only where to find it.
import { z } from "zod";

export const ENVIRONMENT_VARIABLE = /^[A-Z_][A-Z0-9_]*$/;

export const secretSourceSchema = z
  .union(
    [
      z
        .strictObject({
          env: z.string().regex(ENVIRONMENT_VARIABLE, { error: "must be an environment variable name such as GOOGLE_CLIENT_SECRET" }),
        })
        .describe("Read from this environment variable of `pulumi up`."),
      z
        .strictObject({
          onePassword: z.strictObject({
            vault: z.string().min(1).describe("UUID of the 1Password vault."),
            item: z.string().min(1).describe("Title of the item."),
            field: z
              .string()
              .min(1)
              .default("credential")
              .describe("Field to read: credential, password, username, or the label of a field in one of the item's sections."),
          }),
        })
        .describe("Read from a 1Password item with the 1Password provider (OP_SERVICE_ACCOUNT_TOKEN or Connect)."),
    ],
    { error: "must be { env: VARIABLE } or { onePassword: { vault, item, field } }" },
  )
  .meta({ "x-type": "secret source" });

export type SecretSource = z.output<typeof secretSourceSchema>;
