// Where a secret comes from at deploy time. Stack files never hold a secret, only where to find it.
import { z } from "zod";
import { nameNotSecret } from "./secretShapes";

/** Where in 1Password a value is: the vault's UUID, the item's title and the field's label, none of them a secret. */
export const onePasswordFieldSchema = (defaultField: string, fieldHelp: string) =>
  z.strictObject({
    vault: nameNotSecret("a vault UUID").describe("UUID of the 1Password vault."),
    item: nameNotSecret("an item title").describe("Title of the item."),
    field: nameNotSecret("a field label").default(defaultField).describe(fieldHelp),
  });

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
          onePassword: onePasswordFieldSchema(
            "credential",
            "Field to read: credential, password, username, or the label of a field in one of the item's sections.",
          ),
        })
        .describe("Read from a 1Password item with the 1Password provider (OP_SERVICE_ACCOUNT_TOKEN or Connect)."),
    ],
    { error: "must be { env: VARIABLE } or { onePassword: { vault, item, field } }" },
  )
  .meta({ "x-type": "secret source" });

export type SecretSource = z.output<typeof secretSourceSchema>;
