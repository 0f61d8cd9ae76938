// The benchmark times `npm run render` as package.json runs it, node options included, and runs
// its floor with the same node options: a flag that only one of them had would skew the ratio.
import * as fs from "fs";
import * as path from "path";
import { nodeOptions, renderCommand } from "../../scripts/bench/bench";
import { PROJECT_ROOT } from "../harness/stackConfig";

it("runs package.json's render command, its paths made absolute", () => {
  const script = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: { render: string } }).scripts.render;
  const command = renderCommand();
  expect(["node", ...command.map((arg) => (path.isAbsolute(arg) ? path.relative(PROJECT_ROOT, arg) : arg))].join(" ")).toBe(
    script.replace(/\.\//g, ""),
  );
  expect(command[command.length - 1]).toBe(path.join(PROJECT_ROOT, "scripts", "render.ts"));
  for (const arg of command.filter((a) => path.isAbsolute(a))) expect(fs.existsSync(arg)).toBe(true);
});

it("gives the floor the command's node options, without its preloads or script", () => {
  expect(nodeOptions(["--max-semi-space-size=8", "-r", "/p/register.cjs", "--require", "/p/other.cjs", "--stack-size=2000", "/p/render.ts", "--out"])).toEqual([
    "--max-semi-space-size=8",
    "--stack-size=2000",
  ]);
  expect(nodeOptions(renderCommand())).toEqual(renderCommand().filter((arg) => arg.startsWith("--") && !arg.startsWith("--require")));
});
