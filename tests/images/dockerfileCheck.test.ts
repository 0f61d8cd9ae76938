// The Dockerfile reader and rules of images/dockerfileCheck.ts, and every Dockerfile under images/
// held to them. (Imported from here so that `tsc` checks images/ before tsconfig includes it.)
import * as fs from "fs";
import * as path from "path";
import {
  checkDockerfile,
  declaredNames,
  expandVariables,
  isPinnedReference,
  looksLikeSecretName,
  parseDockerfile,
  Problem,
} from "../../images/dockerfileCheck";

const IMAGES = path.resolve(__dirname, "..", "..", "images");
const imageDirs = fs
  .readdirSync(IMAGES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(IMAGES, entry.name, "Dockerfile")))
  .map((entry) => entry.name)
  .sort();
const readDockerfile = (image: string): string => fs.readFileSync(path.join(IMAGES, image, "Dockerfile"), "utf8");
const rules = (problems: Problem[]): string[] => problems.map((problem) => `${problem.line}:${problem.rule}`);

describe("parseDockerfile", () => {
  it("joins continuations as Docker does, skipping comment and blank lines inside them", () => {
    const text = ["# a comment", "FROM a:1", "", "RUN apt-get update \\", "    # why the next line", "", " && apt-get install -y git \\  ", " && true", "user 1000"].join("\n");
    expect(parseDockerfile(text)).toEqual([
      { keyword: "FROM", args: "a:1", line: 2 },
      { keyword: "RUN", args: "apt-get update  && apt-get install -y git  && true", line: 4 },
      { keyword: "USER", args: "1000", line: 9 },
    ]);
  });

  it("honours the escape directive, and only at the top", () => {
    const backtick = parseDockerfile("# escape=`\nFROM a:1\nRUN one `\n two\n");
    expect(backtick[1]).toEqual({ keyword: "RUN", args: "one  two", line: 3 });
    const late = parseDockerfile("FROM a:1\n# escape=`\nRUN one `\nUSER x\n");
    expect(late.map((instruction) => instruction.keyword)).toEqual(["FROM", "RUN", "USER"]);
  });

  it("treats here-document bodies as part of their instruction, not as instructions", () => {
    const text = "FROM a:1\nRUN <<EOF\nUSER root\nEOF\nCOPY <<-CONF /etc/x\n\tENV TOKEN=1\n\tCONF\nUSER ${NB_UID}\n";
    const instructions = parseDockerfile(text);
    expect(instructions.map((instruction) => instruction.keyword)).toEqual(["FROM", "RUN", "COPY", "USER"]);
    expect(instructions[1].args).toContain("USER root");
    expect(checkDockerfile(text)).toEqual([]);
  });

  it("reads CRLF files and a continuation at the end of the file", () => {
    expect(parseDockerfile("FROM a:1\r\nRUN x \\\r\n")).toEqual([
      { keyword: "FROM", args: "a:1", line: 1 },
      { keyword: "RUN", args: "x", line: 2 },
    ]);
  });
});

describe("helpers", () => {
  it("expands variables with defaults and reports the unresolved", () => {
    const vars = new Map<string, string | undefined>([["TAG", "2025-10-06"], ["EMPTY", ""], ["NONE", undefined]]);
    expect(expandVariables("img:${TAG}", vars)).toEqual({ value: "img:2025-10-06", unresolved: [] });
    expect(expandVariables("img:$TAG", vars).value).toBe("img:2025-10-06");
    expect(expandVariables("img:${EMPTY:-1.0}", vars).value).toBe("img:1.0");
    expect(expandVariables("img:${NONE:+x}", vars).value).toBe("img:");
    expect(expandVariables("img:${NONE}-${OTHER}", vars)).toEqual({ value: "img:-", unresolved: ["NONE", "OTHER"] });
  });

  it.each([
    ["quay.io/jupyter/minimal-notebook:2025-10-06", true],
    ["localhost:5000/team/image:1.2", true],
    [`ubuntu@sha256:${"a".repeat(64)}`, true],
    [`ubuntu:24.04@sha256:${"b".repeat(64)}`, true],
    ["ubuntu", false],
    ["ubuntu:latest", false],
    ["ubuntu:LATEST", false],
    ["localhost:5000/image", false],
    ["ubuntu:", false],
    ["ubuntu@sha256:abc", false],
  ])("isPinnedReference(%s) is %s", (reference, pinned) => {
    expect(isPinnedReference(reference)).toBe(pinned);
  });

  it.each(["GITHUB_TOKEN", "npm_token", "DB_PASSWORD", "DBPASSWORD", "AWS_SECRET_ACCESS_KEY", "API_KEY", "SSH_PRIVATE_KEY", "PIP_INDEX_PASS", "REGISTRY_CREDENTIALS", "GHTOKEN"])(
    "%s looks like a secret",
    (name) => expect(looksLikeSecretName(name)).toBe(true),
  );

  it.each(["BASE_IMAGE", "NB_UID", "VSCODE_CLI_VERSION", "VSCODE_CLI_SHA256_X64", "TARGETARCH", "KEYBOARD_LAYOUT", "MONKEY", "PATH", "NVIDIA_DRIVER_CAPABILITIES"])(
    "%s does not look like a secret",
    (name) => expect(looksLikeSecretName(name)).toBe(false),
  );

  it("reads the names ARG and ENV declare, in every form", () => {
    const names = (text: string) => declaredNames(parseDockerfile(text)[0]);
    expect(names("ARG A")).toEqual([["A", undefined]]);
    expect(names('ARG A=1 B="two words"')).toEqual([["A", "1"], ["B", "two words"]]);
    expect(names("ENV LEGACY value with spaces")).toEqual([["LEGACY", "value with spaces"]]);
    expect(names("ENV A=1 \\\n    B=2")).toEqual([["A", "1"], ["B", "2"]]);
  });
});

describe("checkDockerfile", () => {
  const ok = "FROM quay.io/jupyter/minimal-notebook:2025-10-06\nUSER root\nRUN true\nUSER ${NB_UID}\n";

  it("passes a pinned image that ends as the notebook user", () => {
    expect(checkDockerfile(ok)).toEqual([]);
    expect(checkDockerfile(ok.replace("${NB_UID}", "$NB_UID"))).toEqual([]);
  });

  it("fails an unpinned FROM: no tag, latest, or a digest that is not one", () => {
    expect(rules(checkDockerfile(ok.replace(":2025-10-06", "")))).toEqual(["1:pinned-from"]);
    expect(rules(checkDockerfile(ok.replace(":2025-10-06", ":latest")))).toEqual(["1:pinned-from"]);
    expect(rules(checkDockerfile(ok.replace(":2025-10-06", "@sha256:1234")))).toEqual(["1:pinned-from"]);
    expect(checkDockerfile("USER ${NB_UID}\n").map((problem) => problem.message)).toContain("no FROM instruction");
  });

  it("accepts FROM ${BASE_IMAGE} when its default is absent or pinned, and fails it otherwise", () => {
    const tail = "FROM ${BASE_IMAGE}\nUSER ${NB_UID}\n";
    expect(checkDockerfile(`ARG BASE_IMAGE\n${tail}`)).toEqual([]);
    expect(checkDockerfile(`ARG BASE_IMAGE=registry.example/base:1.0\n${tail}`)).toEqual([]);
    expect(checkDockerfile(`ARG BASE_IMAGE=registry.example/base:1.0\nFROM $BASE_IMAGE\nUSER $NB_UID\n`)).toEqual([]);
    expect(rules(checkDockerfile(`ARG BASE_IMAGE=registry.example/base\n${tail}`))).toEqual(["2:pinned-from"]);
    expect(rules(checkDockerfile(`ARG BASE_IMAGE=base:latest\n${tail}`))).toEqual(["2:pinned-from"]);
    // An ARG declared after the first FROM cannot be used in a FROM.
    expect(rules(checkDockerfile(`FROM a:1\nARG BASE_IMAGE\n${tail}`))).toEqual(["3:pinned-from"]);
  });

  it("expands variables inside a reference, failing one that only the build could complete", () => {
    expect(checkDockerfile("ARG TAG=2025-10-06\nFROM quay.io/jupyter/minimal-notebook:${TAG}\nUSER ${NB_UID}\n")).toEqual([]);
    expect(rules(checkDockerfile("ARG TAG=latest\nFROM ubuntu:${TAG}\nUSER ${NB_UID}\n"))).toEqual(["2:pinned-from"]);
    expect(rules(checkDockerfile("ARG TAG\nFROM ubuntu:${TAG}\nUSER ${NB_UID}\n"))).toEqual(["2:pinned-from"]);
  });

  it("lets a stage build on an earlier stage, skipping flags", () => {
    const text = "FROM --platform=$BUILDPLATFORM golang:1.23 AS build\nRUN make\nFROM build AS final\nUSER ${NB_UID}\n";
    expect(checkDockerfile(text)).toEqual([]);
    expect(rules(checkDockerfile("FROM golang AS build\nFROM build\nUSER ${NB_UID}\n"))).toEqual(["1:pinned-from"]);
  });

  it("fails when the final stage does not end as ${NB_UID}", () => {
    expect(rules(checkDockerfile(ok.replace("USER ${NB_UID}\n", "")))).toEqual(["2:last-user"]);
    expect(rules(checkDockerfile(`${ok}USER 0\n`))).toEqual(["5:last-user"]);
    expect(rules(checkDockerfile(ok.replace("${NB_UID}", "${NB_UID}:${NB_GID}")))).toEqual(["4:last-user"]);
    expect(rules(checkDockerfile("FROM a:1\nUSER ${NB_UID}\nFROM b:2\nRUN true\n"))).toEqual(["4:last-user"]);
    expect(rules(checkDockerfile("FROM a:1\n"))).toEqual(["1:last-user"]);
  });

  it("fails ARG and ENV names that look like secrets, wherever they are", () => {
    const text = "ARG GITHUB_TOKEN\nFROM a:1\nARG VERSION=1 NPM_AUTH\nENV DB_PASSWORD=x\nENV API_KEY value\nUSER ${NB_UID}\n";
    expect(rules(checkDockerfile(text))).toEqual(["1:secret-name", "3:secret-name", "4:secret-name", "5:secret-name"]);
    expect(checkDockerfile(text)[0].message).toMatch(/GITHUB_TOKEN.*--mount=type=secret/);
  });
});

describe("the images", () => {
  it("include the base and at least two profile images", () => {
    expect(imageDirs).toEqual(expect.arrayContaining(["base", "datascience", "pytorch-cuda"]));
  });

  it.each(imageDirs)("images/%s/Dockerfile follows the rules", (image) => {
    expect(checkDockerfile(readDockerfile(image))).toEqual([]);
  });

  it.each(imageDirs)("images/%s has a README", (image) => {
    expect(fs.existsSync(path.join(IMAGES, image, "README.md"))).toBe(true);
  });

  it("pins the base on the Jupyter Docker Stacks image the issue names", () => {
    const from = parseDockerfile(readDockerfile("base")).filter((instruction) => instruction.keyword === "FROM");
    expect(from.map((instruction) => instruction.args)).toEqual(["quay.io/jupyter/minimal-notebook:2025-10-06"]);
  });

  it.each(imageDirs.filter((image) => image !== "base"))("images/%s builds on the base through ARG BASE_IMAGE, with no default", (image) => {
    const instructions = parseDockerfile(readDockerfile(image));
    expect(instructions.slice(0, 2)).toEqual([
      expect.objectContaining({ keyword: "ARG", args: "BASE_IMAGE" }),
      expect.objectContaining({ keyword: "FROM", args: "${BASE_IMAGE}" }),
    ]);
    expect(instructions.filter((instruction) => instruction.keyword === "FROM")).toHaveLength(1);
  });

  it.each(imageDirs.filter((image) => fs.existsSync(path.join(IMAGES, image, "requirements.txt"))))("images/%s pins every requirement exactly", (image) => {
    const requirements = fs
      .readFileSync(path.join(IMAGES, image, "requirements.txt"), "utf8")
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter((line) => line !== "" && !line.startsWith("--"));
    expect(requirements.length).toBeGreaterThan(0);
    for (const requirement of requirements) expect(requirement).toMatch(/^[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+$/);
  });
});
