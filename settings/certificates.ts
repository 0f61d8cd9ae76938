// What a CA file (caBundle, vault.kubernetesAuth.kubernetesCaCert) must hold: CA certificates and
// nothing else. It is mounted into every server and kept in a ConfigMap, which anyone who may read
// the namespace reads, so a private key pasted after the certificate is published; an expired or
// non-CA certificate makes every TLS connection that relies on it fail.
import { X509Certificate } from "crypto";

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** Why a CA file's text is not a set of usable CA certificates, or undefined when it is; never quotes the text. */
export function caCertificatesProblem(text: string, now: Date = new Date()): string | undefined {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  // Also a key whose END line was lost: any BEGIN of a key type at all.
  const key = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY|[A-Z0-9 ]*KEY PAIR)-----/.exec(text);
  if (key) {
    return `holds a private key (${key[1]}) after or beside the certificate: a CA file is public (a ConfigMap, every server). Keep only the certificate(s), and treat this key as exposed if the file was committed or applied`;
  }
  const certificates = blocks.filter((block) => block[1] === "CERTIFICATE");
  if (certificates.length === 0) return "holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)";
  const other = blocks.find((block) => block[1] !== "CERTIFICATE");
  if (other) return `holds a ${other[1]} block besides certificates; keep only CA certificates`;
  for (const [index, block] of certificates.entries()) {
    const which = certificates.length > 1 ? `certificate ${index + 1} of ${certificates.length}` : "the certificate";
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(block[0]);
    } catch {
      return `${which} does not parse as an X.509 certificate`;
    }
    const subject = certificate.subject.replace(/\n/g, ", ");
    if (!certificate.ca) {
      return `${which} (${subject}) is not a CA certificate (no basicConstraints CA:TRUE), e.g. a server's own certificate: give the CA that signed it`;
    }
    if (new Date(certificate.validTo).getTime() < now.getTime()) {
      return `${which} (${subject}) expired on ${new Date(certificate.validTo).toISOString().slice(0, 10)}: nothing it signed verifies any more; give the CA's renewed certificate`;
    }
    if (new Date(certificate.validFrom).getTime() > now.getTime()) {
      return `${which} (${subject}) is not valid before ${new Date(certificate.validFrom).toISOString().slice(0, 10)}; check the clock of the machine that made it`;
    }
  }
  return undefined;
}
