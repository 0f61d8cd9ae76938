// What the harness records of each resource a program declares, and how it is written out:
// secrets replaced by "[secret]", map keys sorted, so output is stable and safe to commit or diff.
import * as pulumi from "@pulumi/pulumi";

export const SECRET_PLACEHOLDER = "[secret]";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Parent as "type::name"; null for a resource at the top of the stack. */
  readonly parent: string | null;
  /** Explicit provider as "type::name"; null for the default provider or a component. */
  readonly provider: string | null;
  readonly custom: boolean;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  /** `deleteBeforeReplace`, recorded only when set: a replace then deletes the old one first. */
  readonly deleteBeforeReplace?: true;
  /** Earlier identities (`aliases`, as "type::name"), recorded only when there are some. */
  readonly aliases?: readonly string[];
  /** What must exist first ("type::name", sorted): explicit dependsOn and the resources its inputs come from. */
  readonly dependsOn: readonly string[];
  /** Inputs as registered, secrets replaced by "[secret]". */
  readonly inputs: Record<string, unknown>;
}

/** "urn:pulumi:stack::project::a:b:C$x:y:Z::name" → "x:y:Z::name". */
export function urnToReference(urn: string): string | null {
  if (!urn) return null;
  const parts = urn.split("::");
  const type = parts[2].split("$").pop()!;
  return `${type}::${parts.slice(3).join("::")}`;
}

/** Deep copy with Pulumi secrets replaced by the placeholder and map keys sorted. */
export function redact(value: unknown): unknown {
  if (pulumi.runtime.isRpcSecret(value)) return SECRET_PLACEHOLDER;
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, redact((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function compareResources(a: RecordedResource, b: RecordedResource): number {
  return a.type.localeCompare(b.type) || a.name.localeCompare(b.name);
}
