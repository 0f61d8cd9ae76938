// Where the test tiers keep what they fetch (the real chart archives, the hub's wheels, its venvs):
// node_modules/.cache/jupyterhub-pulumi, so `npm ci` starts it afresh, or JUPYTERHUB_PULUMI_CACHE.
import * as path from "path";
import { PROJECT_ROOT } from "./stackConfig";

export function testInputCacheDir(): string {
  return process.env.JUPYTERHUB_PULUMI_CACHE ?? path.join(PROJECT_ROOT, "node_modules", ".cache", "jupyterhub-pulumi");
}
