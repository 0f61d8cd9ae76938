// Expected values are what KubeSpawner 7.0.0's safe_slug(name, is_valid=is_valid_label) returns
// for these names (the version in Zero to JupyterHub 4.2.0 and 4.4.0).
import { isValidLabelValue, labelSlug, templateSlug } from "../../components/ssh/kubespawnerLabels";

it.each([
  ["ada", "ada"],
  ["aiko.tanaka", "aiko.tanaka"],
  ["Maria", "Maria"],
  ["user_1", "user_1"],
  ["9lives", "9lives"],
  ["", ""],
  ["maria@example.org", "maria-example-org---60c61206"],
  ["a--b", "a-b---90827a2e"],
  ["-lead", "lead---54e05a0b"],
  ["a.", "a---5ab640fa"],
  ["x".repeat(70), "xxxxxxxxxxxxxxxxxxxxx---c71bd109"],
  ["élodie", "lodie---36bac263"],
  ["anne-marie.o'neill@lab.example.org", "anne-marie-o-neill-la---0fb5b1d6"],
])("labels %j as %j, like KubeSpawner", (name, label) => {
  expect(labelSlug(name)).toBe(label);
  expect(isValidLabelValue(labelSlug(name))).toBe(true);
});

// safe_slug(name, max_length=48): what "{username}" becomes in KubeSpawner 7 templates.
it.each([
  ["ada", "ada"],
  ["noah", "noah"],
  ["aiko.tanaka", "aiko-tanaka---bb0feed0"],
  ["maria@example.org", "maria-example-org---60c61206"],
  ["user_1", "user-1---79b0aa00"],
  ["9lives", "x-9lives---bc867356"],
  ["a--b", "a-b---90827a2e"],
  ["x".repeat(60), `${"x".repeat(37)}---42f2d973`],
])("expands {username} for %j as %j, like KubeSpawner", (name, slug) => {
  expect(templateSlug(name)).toBe(slug);
});
