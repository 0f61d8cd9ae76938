// Where a profile's servers may run: tolerations, a node selector and a runtime class, the
// Kubernetes Pod fields a GPU node usually needs (a taint to tolerate, a label to select, the
// NVIDIA container runtime). Checked here with the API server's own rules (apimachinery
// validation: label keys and values, toleration operators), so a typo fails before `pulumi up`.
import { z } from "zod";

// A label key is an optional DNS-subdomain prefix and '/', then a name of at most 63 characters.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = key.slice(slash + 1);
  return LABEL_NAME.test(name) && (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
}

const LABEL_KEY_MESSAGE = "must be a label key: an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.' (e.g. nvidia.com/gpu.present)";
const labelKey = z.string().refine(isLabelKey, { error: LABEL_KEY_MESSAGE });
const labelValue = z
  .string()
  .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, { error: "must be a label value: up to 63 letters, digits, '-', '_' or '.'" });

export const tolerationSchema = z
  .strictObject({
    key: labelKey.optional().describe("Taint key to tolerate, e.g. nvidia.com/gpu. Omitted with operator Exists: every taint."),
    operator: z.enum(["Equal", "Exists"]).default("Equal").describe("Equal: the taint's value must be `value`. Exists: any value."),
    value: labelValue.optional().describe("Taint value, with operator Equal."),
    effect: z
      .enum(["NoSchedule", "PreferNoSchedule", "NoExecute"])
      .optional()
      .describe("Taint effect to tolerate. Omitted: every effect."),
    tolerationSeconds: z.int().min(0).optional().describe("With effect NoExecute: how long the server stays on a node after the taint appears."),
  })
  .superRefine((toleration, ctx) => {
    // The API server's own rules (k8s.io/kubernetes pkg/apis/core/validation ValidateTolerations).
    if (toleration.operator === "Exists" && toleration.value !== undefined) {
      ctx.addIssue({ code: "custom", path: ["value"], message: "must be left out with operator Exists" });
    }
    if (toleration.operator === "Equal" && toleration.key === undefined) {
      ctx.addIssue({ code: "custom", path: ["key"], message: "is required with operator Equal (only Exists may tolerate every taint)" });
    }
    if (toleration.tolerationSeconds !== undefined && toleration.effect !== "NoExecute") {
      ctx.addIssue({ code: "custom", path: ["tolerationSeconds"], message: "applies to effect NoExecute only" });
    }
  });

export type Toleration = z.output<typeof tolerationSchema>;

/** The profile keys that place servers; spread into the profile schema. */
export const profileSchedulingFields = {
  tolerations: z
    .array(tolerationSchema)
    .default([])
    .describe(
      "Taints the profile's servers tolerate, e.g. [{ key: nvidia.com/gpu, operator: Exists, effect: NoSchedule }] for tainted GPU nodes. Added to the chart's own tolerations for user pods, which stay.",
    ),
  nodeSelector: z
    .record(z.string(), labelValue)
    // Checked here rather than as the record's key schema, whose message zod replaces with its own.
    .superRefine((selector, ctx) => {
      for (const key of Object.keys(selector).filter((k) => !isLabelKey(k))) ctx.addIssue({ code: "custom", path: [key], message: LABEL_KEY_MESSAGE });
    })
    .default({})
    .describe("Node labels the profile's servers need, e.g. { nvidia.com/gpu.present: \"true\" }. Merged into the chart's singleuser.nodeSelector."),
  runtimeClassName: z
    .string()
    .max(253)
    .regex(DNS_SUBDOMAIN, { error: "must be a RuntimeClass name: lower-case letters, digits, '-' and '.'" })
    .optional()
    .describe("RuntimeClass of the profile's servers, e.g. nvidia where the NVIDIA container runtime is not the nodes' default."),
};
