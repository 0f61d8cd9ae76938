// The chart check's verdicts are kept between runs by all that the check reads: a run with the same
// inputs gets the verdict without running the check, and a change to any input runs it again.
// A stand-in check counts its runs; each "run" is a fresh load of chartCheck.ts, as each jest
// worker and each npm test has.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

type ChartCheck = typeof import("./chartCheck");

let root: string;
let runs: string;
let savedEnv: NodeJS.ProcessEnv;

beforeEach(() => {
  savedEnv = { ...process.env };
  root = fs.mkdtempSync(path.join(os.tmpdir(), "chart-check-"));
  runs = path.join(root, "runs.log");
  fs.mkdirSync(path.join(root, "shared", "tools"), { recursive: true });
  fs.mkdirSync(path.join(root, "shared", "z2jh", "4.4.0", "chart"), { recursive: true });
  // Passes values without "bad", as the real check prints, and logs each run.
  fs.writeFileSync(
    path.join(root, "shared", "tools", "check-z2jh-values"),
    `const fs = require("fs");
fs.appendFileSync(${JSON.stringify(runs)}, "run\\n");
const values = fs.readFileSync(process.argv[2], "utf8");
if (values.includes("bad")) { console.log("/singleuser: must NOT have additional properties 'bad'"); process.exit(1); }
console.log("valid against Z2JH " + process.argv[3] + " values schema");
`,
  );
  fs.writeFileSync(path.join(root, "shared", "z2jh", "4.4.0", "values.yaml"), "hub: {}\n");
  fs.writeFileSync(path.join(root, "shared", "z2jh", "4.4.0", "values.schema.json"), "{}\n");
  process.env.Z2JH_CHECK = path.join(root, "shared", "tools", "check-z2jh-values");
  process.env.JUPYTERHUB_PULUMI_CACHE = path.join(root, "cache");
});

afterEach(() => {
  process.env = savedEnv;
  fs.rmSync(root, { recursive: true, force: true });
});

function freshLoad(): ChartCheck {
  let loaded: ChartCheck | undefined;
  jest.isolateModules(() => {
    loaded = require("./chartCheck") as ChartCheck;
  });
  return loaded!;
}

const runCount = () => (fs.existsSync(runs) ? fs.readFileSync(runs, "utf8").split("\n").filter(Boolean).length : 0);

function valuesFile(name: string, content: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, content);
  return file;
}

it("gives a later run the verdict on the same inputs without running the check, under another file name too", () => {
  const first = freshLoad().checkChartValues(valuesFile("a.yaml", "singleuser: {}\n"), "4.4.0");
  expect(first).toEqual({ ok: true, output: "valid against Z2JH 4.4.0 values schema\n" });
  expect(runCount()).toBe(1);
  expect(freshLoad().checkChartValues(valuesFile("b.yaml", "singleuser: {}\n"), "4.4.0")).toEqual(first);
  expect(runCount()).toBe(1);
});

it("keeps a rejection as a rejection, with the check's words", () => {
  const file = valuesFile("bad.yaml", "singleuser: {bad: 1}\n");
  const rejected = freshLoad().checkChartValues(file, "4.4.0");
  expect(rejected).toEqual({ ok: false, output: "/singleuser: must NOT have additional properties 'bad'\n" });
  expect(freshLoad().checkChartValues(file, "4.4.0")).toEqual(rejected);
  expect(runCount()).toBe(1);
});

it("runs the check again when the values, the chart version's defaults or schema, or the check itself changed", () => {
  const file = valuesFile("a.yaml", "singleuser: {}\n");
  freshLoad().checkChartValues(file, "4.4.0");
  fs.writeFileSync(file, "singleuser: {cmd: x}\n");
  freshLoad().checkChartValues(file, "4.4.0");
  expect(runCount()).toBe(2);
  fs.writeFileSync(path.join(root, "shared", "z2jh", "4.4.0", "values.schema.json"), '{"type": "object"}\n');
  freshLoad().checkChartValues(file, "4.4.0");
  expect(runCount()).toBe(3);
  fs.writeFileSync(path.join(root, "shared", "z2jh", "4.4.0", "values.yaml"), "hub: {db: {}}\n");
  freshLoad().checkChartValues(file, "4.4.0");
  expect(runCount()).toBe(4);
  fs.appendFileSync(process.env.Z2JH_CHECK!, "// changed\n");
  freshLoad().checkChartValues(file, "4.4.0");
  expect(runCount()).toBe(5);
  freshLoad().checkChartValues(file, "4.4.0");
  expect(runCount()).toBe(5);
});

it("keeps nothing for a chart version the check has no files for: it says so itself each time", () => {
  const file = valuesFile("a.yaml", "singleuser: {}\n");
  freshLoad().checkChartValues(file, "9.9.9");
  freshLoad().checkChartValues(file, "9.9.9");
  expect(runCount()).toBe(2);
  expect(fs.existsSync(path.join(root, "cache", "chart-check"))).toBe(false);
});
