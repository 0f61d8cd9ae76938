// Runs one of the project's Python scripts in the hub's own Python of a chart version, its input
// on stdin, as `python <script> <args...>` with chartHubPython's environment. Under `npm test` the
// script is forked from the run's shared hub zygote (sharedHubZygotes.ts): the hub's packages are
// imported already, which a new python spends ~3 CPU-s on. Alone (a single jest file), a new
// python, as a zygote started for one script would cost the same.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chartHubPython, NEWEST_CHART_VERSION } from "./chartHubPython";
import { HubZygote, sharedZygoteSocket, zygoteKey } from "./hubZygote";

export interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runHubPythonScript(script: string, args: readonly string[], input: string, chartVersion = NEWEST_CHART_VERSION): Promise<ScriptRun> {
  if (sharedZygoteSocket(zygoteKey(chartVersion)) === undefined) {
    const { python, env } = chartHubPython(chartVersion);
    const run = spawnSync(python, [script, ...args], { input, encoding: "utf8", env });
    if (run.error) throw run.error;
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "hub-python-script-"));
  const zygote = new HubZygote(chartVersion);
  try {
    const [stdin, stdout, stderr] = ["stdin", "stdout", "stderr"].map((name) => path.join(scratch, name));
    fs.writeFileSync(stdin, input);
    const { status } = await zygote.run({ argv: [script, ...args], stdin, stdout, stderr });
    return { status, stdout: fs.readFileSync(stdout, "utf8"), stderr: fs.readFileSync(stderr, "utf8") };
  } finally {
    await zygote.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
