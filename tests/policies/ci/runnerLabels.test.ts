// A pull request's code (preview) and the deployment never run on the same self-hosted runner.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { PROJECT_ROOT } from "../../harness/stackConfig";

type Workflow = { jobs: Record<string, { "runs-on": string | string[]; environment?: string }> };
const workflow = (name: string) => YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, ".github", "workflows", name), "utf8")) as Workflow;
const selfHostedLabels = (w: Workflow) =>
  Object.values(w.jobs)
    .map((job) => job["runs-on"])
    .filter((runsOn): runsOn is string[] => Array.isArray(runsOn) && runsOn.includes("self-hosted"))
    .map((labels) => labels.filter((l) => l !== "self-hosted"));

it("runs previews and deployments on runners with labels of their own", () => {
  expect(selfHostedLabels(workflow("preview.yml"))).toEqual([["jupyterhub-pulumi-preview"]]);
  expect(selfHostedLabels(workflow("deploy.yml"))).toEqual([["jupyterhub-pulumi-deploy"]]);
});

it("documents both labels in the CI guide", () => {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "how-to", "ci-previews-and-deploys.md"), "utf8");
  expect(readme).toContain("`jupyterhub-pulumi-preview`");
  expect(readme).toContain("`jupyterhub-pulumi-deploy`");
});
