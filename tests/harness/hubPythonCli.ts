// Prints the python of the hub image's own packages for a chart version (hubPython.ts makes the
// venv on first use), so a shell can run Python tests in it:
//   "$(node -r ./scripts/registerTypeScript.cjs tests/harness/hubPythonCli.ts 4.4.0)" -m unittest tests/python/test_x.py
// Exits non-zero, saying why, when the hub's Python cannot be had: never a silent fallback to the
// system python3, where the tests would run against nothing real.
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { hubPython } from "./hubPython";

const version = process.argv[2] ?? SUPPORTED_CHART_VERSIONS[SUPPORTED_CHART_VERSIONS.length - 1];
if (!(SUPPORTED_CHART_VERSIONS as readonly string[]).includes(version)) {
  process.stderr.write(`hubPythonCli: ${version} is not a supported chart version (${SUPPORTED_CHART_VERSIONS.join(", ")})\n`);
  process.exit(2);
}
try {
  process.stdout.write(`${hubPython(version)}\n`);
} catch (error) {
  process.stderr.write(`hubPythonCli: the hub's Python for chart ${version} is missing: ${(error as Error).message}\n`);
  process.exit(1);
}
