// Stack files read as the Pulumi CLI reads them (go-yaml v3, then Pulumi's config values), where
// YAML 1.1 parsers such as js-yaml read the same text differently.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as jsYaml from "js-yaml";
import YAML from "yaml";
import { flattenConfig, readStackFile, resolveScalar, StackFileError } from "../../offline/pulumiStackFile";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function stackFile(body: string): string {
  const file = path.join(scratch, "Pulumi.test.yaml");
  fs.writeFileSync(file, body);
  return file;
}

// Each row: plain text; what go-yaml v3 + Pulumi make of it; YAML 1.1 (the yaml package in 1.1
// mode); YAML 1.2 core (js-yaml 4, which render used before). The CLI agrees with neither.
it.each<[string, unknown, unknown, unknown]>([
  ["yes", "yes", true, "yes"],
  ["No", "No", false, "No"],
  ["on", "on", true, "on"],
  ["off", "off", false, "off"],
  ["0o17", 15, "0o17", 15],
  ["0123", 83, 83, 123],
  ["1_000", 1000, 1000, "1_000"],
  ["0x1F", 31, 31, 31],
  ["2025-10-06", "2025-10-06 00:00:00 +0000 UTC", new Date("2025-10-06T00:00:00Z"), new Date("2025-10-06T00:00:00Z")],
  ["2025-10-06T10:30:00Z", "2025-10-06 10:30:00 +0000 UTC", new Date("2025-10-06T10:30:00Z"), new Date("2025-10-06T10:30:00Z")],
  ["true", true, true, true],
  ["1.5", 1.5, 1.5, 1.5],
  ["~", null, null, null],
  ["512Mi", "512Mi", "512Mi", "512Mi"],
])("reads %j as the CLI does (%j); YAML 1.1 reads %j, YAML 1.2 core %j", (text, cli, yaml11, yaml12) => {
  expect(resolveScalar(text)).toEqual(cli);
  expect(YAML.parse(text, { version: "1.1" })).toEqual(yaml11);
  expect(jsYaml.load(text)).toEqual(yaml12);
});

it("resolves plain scalars only: quoted ones stay strings, at any depth", () => {
  const file = stackFile(`config:\n  jupyterhub:a: on\n  jupyterhub:b:\n    x: "on"\n    y: [0o17, '0o17', 2025-10-06]\n`);
  expect(readStackFile(file)).toEqual({ "jupyterhub:a": "on", "jupyterhub:b": { x: "on", y: [15, "0o17", "2025-10-06 00:00:00 +0000 UTC"] } });
});

it("names the file, line and column of a YAML error", () => {
  const file = stackFile("config:\n  jupyterhub:hub:\n    host: a\n   namespace: b\n");
  expect(() => readStackFile(file)).toThrow(StackFileError);
  expect(() => readStackFile(file)).toThrow(/^Pulumi\.test\.yaml:4:\d+: /);
});

it("takes a file with no config as empty", () => {
  expect(readStackFile(stackFile("encryptionsalt: abc\n"))).toEqual({});
});

it("hands the program config as the CLI does: JSON text for objects, and legacy `ns:config:key` keys as `ns:key`", () => {
  const file = stackFile(`config:\n  jupyterhub:config:hub:\n    host: hub.example.test\n  jupyterhub:namespace: lab\n  jupyterhub:replicas: 2\n`);
  expect(flattenConfig(readStackFile(file))).toEqual({ "jupyterhub:hub": '{"host":"hub.example.test"}', "jupyterhub:namespace": "lab", "jupyterhub:replicas": "2" });
});
