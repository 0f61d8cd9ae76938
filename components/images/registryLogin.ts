// A registry login, read at deploy time as Pulumi secrets: a 1Password item's username and token
// fields, or a username from config and a token from any secret source ({ env } or { onePassword }).
import * as pulumi from "@pulumi/pulumi";
import type { RegistryLogin } from "../../settings/imagesSchema";
import { deployTimeSecret, type Environment } from "../secrets/deployTimeSecret";

/** `path` is the login's config key (images.credentials or images.pullCredentials), for errors. */
export function registryLogin(
  login: RegistryLogin,
  environment: Environment,
  path?: readonly (string | number)[],
): { username: pulumi.Output<string>; token: pulumi.Output<string> } {
  if ("token" in login) {
    return { username: pulumi.output(login.username), token: deployTimeSecret(login.token, environment, path && [...path, "token"]) };
  }
  const { vault, item, usernameField, tokenField } = login;
  return {
    username: deployTimeSecret({ onePassword: { vault, item, field: usernameField } }, environment, path && [...path, "usernameField"]),
    token: deployTimeSecret({ onePassword: { vault, item, field: tokenField } }, environment, path && [...path, "tokenField"]),
  };
}
