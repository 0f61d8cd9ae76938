// Runs the program for a stack under mocks in a process of its own, the way the Pulumi language
// host runs it (@pulumi/pulumi cmd/run/run.js): every unhandled rejection is the run's error,
// reported once per error, RunErrors by their message alone. An error raised inside an apply fails
// every resource the Output feeds, and the SDK rethrows each so that it is unhandled
// (runtime/resource.js runAsyncResourceOp); Jest would pin those on whichever test is running, so
// tests run this with `node` (upRun.ts).
//   node -r scripts/registerTypeScript.cjs tests/identity/failedUpRun.ts '<stack config JSON>' '<answers JSON>'
// answers: { "<invoke token>": { …fields } } changes the fixture's answers (offline/invokeFixtures.ts).
// Prints { errors: [{ runError, message }], registered: ["type::name", …] } as JSON.
import * as pulumi from "@pulumi/pulumi";
import type { MockCallArgs } from "@pulumi/pulumi/runtime";
import { INVOKE_FIXTURES, type InvokeFixture } from "../../offline/invokeFixtures";
import { installMocks } from "../../offline/mockRuntime";
import { RENDER_ENVIRONMENT } from "../../offline/renderStack";
import { flattenConfig, type StackConfig } from "../../offline/stackConfig";
import { deployJupyterHub } from "../../program";
import { loadSettings } from "../../settings";

async function main(): Promise<void> {
  const [config, answers] = process.argv.slice(2).map((text) => JSON.parse(text) as Record<string, unknown>);
  const table = INVOKE_FIXTURES as Record<string, InvokeFixture>;
  for (const [token, fields] of Object.entries(answers as Record<string, Record<string, unknown>>)) {
    const fixture = table[token];
    table[token] = (args: MockCallArgs) => ({ ...fixture(args), ...fields });
  }

  const errors = new Set<unknown>();
  process.on("unhandledRejection", (error) => errors.add(error));
  const runtime = installMocks({ stack: "test", config: flattenConfig(config as StackConfig) });
  const deployment = deployJupyterHub(loadSettings(), RENDER_ENVIRONMENT) as unknown as Record<string, pulumi.Input<unknown> | undefined>;
  for (const value of Object.values(deployment)) {
    if (value === undefined) continue;
    // OutputImpl.promise(withUnknowns), as renderStack reads outputs.
    await (pulumi.output(value) as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true).catch((error: unknown) => errors.add(error));
  }
  await runtime.settle().catch((error: unknown) => errors.add(error));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const reported = [...errors].map((error) => ({ runError: pulumi.RunError.isInstance(error), message: (error as Error).message }));
  process.stdout.write(JSON.stringify({ errors: reported, registered: runtime.resources.map((r) => `${r.type}::${r.name}`) }) + "\n");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(2);
  },
);
