// `pulumi up` of a stack under mocks in a process of its own (failedUpRun.ts), for tests of errors
// raised inside an apply: what the run reports, and what it registered.
import { spawnSync } from "child_process";
import * as path from "path";
import { PROJECT_ROOT, type StackConfig } from "../harness/stackConfig";

export interface UpRun {
  /** Each distinct error the run reported; a RunError is printed by its message alone. */
  readonly errors: readonly { runError: boolean; message: string }[];
  /** Every resource registered, "type::name". */
  readonly registered: readonly string[];
}

const RUN = [path.join(PROJECT_ROOT, "scripts", "registerTypeScript.cjs"), path.join(__dirname, "failedUpRun.ts")];

/** `answers` changes fields of the fixtures' answers, per invoke token. */
export function upRun(config: StackConfig, answers: Record<string, Record<string, unknown>> = {}): UpRun {
  const result = spawnSync(process.execPath, ["-r", ...RUN, JSON.stringify(config), JSON.stringify(answers)], { cwd: PROJECT_ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`failedUpRun.ts exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as UpRun;
}
