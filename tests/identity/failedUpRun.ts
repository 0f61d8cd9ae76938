// Runs the program for stacks under mocks in a process of its own, the way the Pulumi language
// host runs it (@pulumi/pulumi cmd/run/run.js): every unhandled rejection is the run's error,
// reported once per error, RunErrors by their message alone. An error raised inside an apply fails
// every resource the Output feeds, and the SDK rethrows each so that it is unhandled
// (runtime/resource.js runAsyncResourceOp); Jest would pin those on whichever test is running, so
// tests run this with `node` (upRun.ts).
//   node -r scripts/registerTypeScript.cjs tests/identity/failedUpRun.ts '[{"config": <stack config>, "answers": <answers>}, …]'
// answers: { "<invoke token>": { …fields } } changes the fixture's answers (offline/invokeFixtures.ts).
// The runs go one after the other, so that the program's modules (most of a run's CPU) load once;
// each run ends as a lone one would (outputs, registrations, then 200 ms for the last rejections).
// A rejection that arrives in the pause between two runs fails the whole process; one later still
// (which a lone run would have lost) would count for the next run, so a file whose runs expect
// errors puts them in an order where that could not pass a test by mistake, or checks them alone.
// Prints [{ errors: [{ runError, message }], registered: ["type::name", …] }, …] as JSON, one per run.
import * as pulumi from "@pulumi/pulumi";
import type { MockCallArgs } from "@pulumi/pulumi/runtime";
import { INVOKE_FIXTURES, type InvokeFixture } from "../../offline/invokeFixtures";
import { installMocks } from "../../offline/mockRuntime";
import { RENDER_ENVIRONMENT } from "../../offline/renderStack";
import { flattenConfig, type StackConfig } from "../../offline/stackConfig";
import { deployJupyterHub } from "../../program";
import { loadSettings } from "../../settings";

interface Run {
  readonly config: StackConfig;
  readonly answers?: Record<string, Record<string, unknown>>;
}

/** Where unhandled rejections go: the run under way's errors, or, between runs, none. */
let collecting: Set<unknown> | undefined;
const late: unknown[] = [];
process.on("unhandledRejection", (error) => (collecting ? collecting.add(error) : late.push(error)));

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function upRun({ config, answers = {} }: Run) {
  const table = INVOKE_FIXTURES as Record<string, InvokeFixture>;
  const originals = { ...table };
  for (const [token, fields] of Object.entries(answers)) {
    const fixture = table[token];
    table[token] = (args: MockCallArgs) => ({ ...fixture(args), ...fields });
  }
  const errors = new Set<unknown>();
  collecting = errors;
  try {
    const runtime = installMocks({ stack: "test", config: flattenConfig(config) });
    const deployment = deployJupyterHub(loadSettings(), RENDER_ENVIRONMENT) as unknown as Record<string, pulumi.Input<unknown> | undefined>;
    for (const value of Object.values(deployment)) {
      if (value === undefined) continue;
      // OutputImpl.promise(withUnknowns), as renderStack reads outputs.
      await (pulumi.output(value) as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true).catch((error: unknown) => errors.add(error));
    }
    await runtime.settle().catch((error: unknown) => errors.add(error));
    await pause(200);
    const reported = [...errors].map((error) => ({ runError: pulumi.RunError.isInstance(error), message: (error as Error).message }));
    return { errors: reported, registered: runtime.resources.map((r) => `${r.type}::${r.name}`) };
  } finally {
    collecting = undefined;
    // The table as it was: changed answers back, and tokens the answers added gone.
    for (const token of Object.keys(table)) if (!(token in originals)) delete table[token];
    Object.assign(table, originals);
  }
}

async function main(): Promise<void> {
  const runs = JSON.parse(process.argv[2]) as Run[];
  const results = [];
  for (const run of runs) {
    results.push(await upRun(run));
    // A rejection of this run after its 200 ms would have been lost to a lone run; here it would
    // count for the next one. It fails the process instead.
    await pause(20);
    if (late.length) throw new Error(`a rejection arrived after its run had ended: ${late.map(String).join("; ")}`);
  }
  process.stdout.write(JSON.stringify(results) + "\n");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(2);
  },
);
