// The policy step of `npm run render`: evaluate the rendered stack, print the verdicts, and fail
// on a mandatory violation (scripts/render.ts then writes nothing).
import type { RecordedResource } from "../offline/recordedResource";
import { evaluatedPolicies, evaluatePolicies } from "./evaluate";
import type { PolicyResult } from "./policyResult";

export interface PolicyCheck {
  readonly results: PolicyResult[];
  /** Human-readable verdicts, ending with "policies: N passed…". */
  readonly report: string;
  /** True when a mandatory rule is violated. */
  readonly failed: boolean;
}

export function policyCheck(rendered: {
  readonly resources: readonly RecordedResource[];
  readonly settings: { readonly storage: { readonly deleteHomesOnDestroy: boolean } };
}): PolicyCheck {
  const results = evaluatePolicies(rendered.resources, { deleteHomesOnDestroy: rendered.settings.storage.deleteHomesOnDestroy });
  return { results, report: formatPolicyResults(results), failed: results.some((r) => r.enforcementLevel === "mandatory") };
}

export function formatPolicyResults(results: readonly PolicyResult[], policies = evaluatedPolicies()): string {
  const violated = new Set(results.map((r) => r.policy));
  const passed = policies.filter((p) => !violated.has(p.name)).length;
  const mandatory = new Set(results.filter((r) => r.enforcementLevel === "mandatory").map((r) => r.policy)).size;
  const lines = results.map(
    (r) => `  ${r.enforcementLevel === "mandatory" ? "FAIL" : "warn"} ${r.policy} [${r.enforcementLevel}]${r.resource ? ` ${r.resource}` : ""}: ${r.message}`,
  );
  const counts = [`${passed} passed`];
  if (violated.size > mandatory) counts.push(`${violated.size - mandatory} advisory`);
  if (mandatory > 0) counts.push(`${mandatory} mandatory failed`);
  return [`policies: ${counts.join(", ")}`, ...lines].join("\n");
}
