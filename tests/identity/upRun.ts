// `pulumi up` of stacks under mocks in a process of its own (failedUpRun.ts), for tests of errors
// raised inside an apply: what each run reports, and what it registered.
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT, type StackConfig } from "../harness/stackConfig";

export interface UpRun {
  /** Each distinct error the run reported; a RunError is printed by its message alone. */
  readonly errors: readonly { runError: boolean; message: string }[];
  /** Every resource registered, "type::name". */
  readonly registered: readonly string[];
}

export interface UpRunRequest {
  readonly config: StackConfig;
  /** Changes fields of the fixtures' answers, per invoke token. */
  readonly answers?: Record<string, Record<string, unknown>>;
}

const RUN = [path.join(PROJECT_ROOT, "scripts", "registerTypeScript.cjs"), path.join(__dirname, "failedUpRun.ts")];

/**
 * The runs one after the other in one process, which loads the program once (~1.5 CPU-s of each
 * lone run's ~2); a test file asks for all of its runs at once.
 */
export function upRuns(requests: readonly UpRunRequest[]): UpRun[] {
  const result = spawnSync(process.execPath, ["-r", ...RUN, JSON.stringify(requests)], { cwd: PROJECT_ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`failedUpRun.ts exited ${result.status}: ${result.stderr}`);
  const runs = JSON.parse(result.stdout) as UpRun[];
  if (runs.length !== requests.length) throw new Error(`failedUpRun.ts reported ${runs.length} runs of ${requests.length}`);
  return runs;
}
