// Secrets pasted where the config wants a name (a 1Password field label, an item title, a client
// ID): the stack file would hold the secret, and any message that quoted the value would print it.
// Each shape below is a credential format its issuer documents by its prefix or structure; the
// messages name the kind, never the value.
import { z } from "zod";

const SHAPES: readonly { kind: string; test: RegExp }[] = [
  { kind: "a PEM private key or certificate", test: /-----BEGIN [A-Z ]+-----/ },
  // GitHub: ghp_ (classic), gho_/ghu_/ghs_/ghr_ (OAuth, user, server, refresh), github_pat_ (fine-grained).
  { kind: "a GitHub token", test: /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/ },
  { kind: "a GitLab token", test: /\bglpat-[A-Za-z0-9_-]{20,}/ },
  // 1Password service account tokens start with ops_ and a base64 JSON body.
  { kind: "a 1Password service account token", test: /\bops_[A-Za-z0-9+/=_-]{20,}/ },
  { kind: "a Google OAuth client secret", test: /\bGOCSPX-[A-Za-z0-9_-]{10,}/ },
  // Vault service, batch and recovery tokens (hvs./hvb./hvr.), and the pre-1.10 "s." form.
  { kind: "a Vault token", test: /\bhv[sbr]\.[A-Za-z0-9_-]{20,}|^s\.[A-Za-z0-9]{24}$/ },
  { kind: "a JSON Web Token", test: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./ },
  { kind: "a Slack token", test: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  { kind: "an AWS access key", test: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/ },
  // A GitHub OAuth app's client secret is 40 hex digits; no label or title looks like that.
  { kind: "an OAuth client secret (40 hex digits)", test: /^[0-9a-f]{40}$/ },
];

/** Which kind of credential the text looks like, or undefined when it could be a name. */
export function secretKind(text: string): string | undefined {
  const shape = SHAPES.find(({ test }) => test.test(text));
  if (shape) return shape.kind;
  // A long run with no spaces mixing upper case, lower case and digits is a random token, not a
  // label someone typed: 1Password vault UUIDs are lower case, titles and labels have words.
  if (/^\S{32,}$/.test(text) && /[A-Z]/.test(text) && /[a-z]/.test(text) && /[0-9]/.test(text)) return "a random token";
  return undefined;
}

/** The message for a secret where a name belongs; it never contains the value. */
export function secretWhereNameBelongsMessage(kind: string, what: string): string {
  return (
    `looks like ${kind}, not ${what}: the value is not repeated here. A stack file holds no secrets: ` +
    "put the secret into the 1Password item and name it here; if this one was committed or pushed, revoke it"
  );
}

/** A name the config hands to another system (a 1Password field label, a client ID), refused when it is a secret. */
export const nameNotSecret = (what: string) =>
  z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      const kind = secretKind(text);
      if (kind) ctx.addIssue({ code: "custom", message: secretWhereNameBelongsMessage(kind, what) });
    });
