// Answers to provider invokes (functions such as onepassword:index:getItem) under mocks.
// Realistic data only; an invoke with no fixture here fails the run instead of returning {}.
import type { MockCallArgs } from "@pulumi/pulumi/runtime";

export type InvokeFixture = (args: MockCallArgs) => Record<string, unknown>;

export const INVOKE_FIXTURES: Readonly<Record<string, InvokeFixture>> = {};

export class UnknownInvokeError extends Error {
  /** The runtime reports a failed invoke by its gRPC `details`, not its message. */
  readonly details: string;

  constructor(token: string) {
    super(`no fixture for invoke '${token}': add one to tests/harness/invokeFixtures.ts`);
    this.name = "UnknownInvokeError";
    this.details = this.message;
  }
}
