// What the stack-level checks read of a declared resource. The test harness's RecordedResource
// (offline/recordedResource.ts) has this shape; the checks do not depend on the harness.

export interface StackResource {
  readonly type: string;
  readonly name: string;
  /** Parent as "type::name"; null at the top of the stack. */
  readonly parent: string | null;
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly inputs: Record<string, unknown>;
}

/** "type::name", the way the harness names a parent; used to point at a resource in messages. */
export function resourceReference(resource: Pick<StackResource, "type" | "name">): string {
  return `${resource.type}::${resource.name}`;
}
