// The `jupyterhub:caBundle` block: a homelab's own certificate authority, trusted by the hub and by
// every server next to the public ones. `*.home.arpa` names cannot have a public certificate, so
// without it the hub's login (Keycloak) and Vault calls fail certificate verification.
import { z } from "zod";
import { dnsLabel } from "./primitives";

const objectKey = z.string().regex(/^[-._a-zA-Z0-9]+$/, { error: "must be a ConfigMap or Secret key such as ca.crt" });

export const caBundleSchema = z
  .union(
    [
      z
        .strictObject({ file: z.string().min(1).describe("Path of a PEM file, relative to the project directory.") })
        .describe("PEM certificates from a file in the repository (CA certificates are public)."),
      z
        .strictObject({
          configMap: z.strictObject({ name: dnsLabel("a ConfigMap name"), key: objectKey.default("ca.crt") }),
        })
        .describe("A ConfigMap that already exists in the hub's namespace (e.g. one trust-manager keeps)."),
      z
        .strictObject({
          secret: z.strictObject({ name: dnsLabel("a Secret name"), key: objectKey.default("ca.crt") }),
        })
        .describe("A Secret that already exists in the hub's namespace (e.g. cert-manager's ca.crt)."),
      z
        .strictObject({
          onePassword: z.strictObject({
            vault: z.string().min(1).describe("UUID of the 1Password vault."),
            item: z.string().min(1).describe("Title of the item."),
            field: z.string().min(1).default("notes").describe("Field with the PEM text: notes (a Secure Note's text) or a field's label."),
          }),
        })
        .describe("PEM certificates from a 1Password item, read at deploy time."),
    ],
    { error: "must be one of { file }, { configMap: { name, key } }, { secret: { name, key } }, { onePassword: { vault, item, field } }" },
  )
  .optional()
  .meta({ "x-type": "CA source" })
  .describe(
    "Your own certificate authority (PEM), trusted by the hub (login, Vault) and every server (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO, PIP_CERT, VAULT_CACERT, NODE_EXTRA_CA_CERTS) on top of the public CAs. Absent: public CAs only.",
  );

export type CaBundleSettings = NonNullable<z.output<typeof caBundleSchema>>;
