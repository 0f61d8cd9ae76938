// The `jupyterhub:caBundle` block: a homelab's own certificate authority, trusted by the hub and by
// every server next to the public ones. `*.home.arpa` names cannot have a public certificate, so
// without it the hub's login (Keycloak) and Vault calls fail certificate verification.
import { z } from "zod";
import { dnsLabel } from "./primitives";
import { onePasswordFieldSchema } from "./secretSourceSchema";

// cert-manager's Secrets hold ca.crt, tls.crt and tls.key side by side: the key's name is one
// letter away from the certificate's, and the key would then be mounted into every server.
const objectKey = z
  .string()
  .regex(/^[-._a-zA-Z0-9]+$/, { error: "must be a ConfigMap or Secret key such as ca.crt" })
  .refine((key) => !/(^|[._-])(key|privkey|private)([._-]|$)|\.key$/i.test(key), {
    error: "names a private key (cert-manager's tls.key is the certificate's key): give the CA certificate's key, ca.crt in a cert-manager Secret",
  });

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
          onePassword: onePasswordFieldSchema("notes", "Field with the PEM text: notes (a Secure Note's text) or a field's label."),
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
