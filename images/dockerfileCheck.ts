// A small Dockerfile reader and the rules every image under images/ must follow, checked by
// `npm test` (tests/images/dockerfileCheck.test.ts) since no Docker engine is needed for it:
//   - every FROM is pinned: an explicit tag other than `latest`, a digest, an earlier stage, or
//     exactly one build argument (`FROM ${BASE_IMAGE}`) whose default is pinned or absent (the
//     build then passes the base image's digest);
//   - the final stage's last USER is `${NB_UID}` (or `$NB_UID`), so a server never runs as
//     root unless the deployment starts it so;
//   - no ARG or ENV is named like a secret: both end up in the image's history and config,
//     readable by anyone who can pull it (BuildKit secret mounts are the way to pass one).
// Pure functions over the text; no file access here.

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, USER, ... */
  readonly keyword: string;
  /** Arguments, with line continuations joined as Docker joins them (comment lines inside dropped). */
  readonly args: string;
  /** 1-based line the instruction starts on. */
  readonly line: number;
}

export type Rule = "pinned-from" | "last-user" | "secret-name";

export interface Problem {
  readonly line: number;
  readonly rule: Rule;
  readonly message: string;
}

const DIRECTIVE = /^#\s*([a-zA-Z]+)\s*=\s*(.*?)\s*$/;
// `<<EOF`, `<<-EOF`, `<<"EOF"`: BuildKit here-documents, whose bodies are not instructions.
const HEREDOC = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

/** Splits a Dockerfile into instructions: continuations, comments, the escape directive and here-documents handled. */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  let escape = "\\";
  let i = 0;
  // Parser directives (`# escape=`, `# syntax=`) count only before anything else.
  for (; i < lines.length; i++) {
    const directive = DIRECTIVE.exec(lines[i]);
    if (!directive) break;
    if (directive[1].toLowerCase() === "escape" && (directive[2] === "`" || directive[2] === "\\")) escape = directive[2];
  }

  const isComment = (line: string): boolean => line.trimStart().startsWith("#");
  const continues = (line: string): boolean => line.trimEnd().endsWith(escape);
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const start = i;
    let text = lines[i++];
    if (text.trim() === "" || isComment(text)) continue;
    // Docker drops the escape and the newline and joins the next line as it is; blank and
    // comment lines inside a continued instruction are skipped.
    while (continues(text) && i < lines.length) {
      text = text.trimEnd().slice(0, -escape.length);
      const next = lines[i++];
      if (next.trim() === "" || isComment(next)) {
        text += escape; // still continued
        continue;
      }
      text += next;
    }
    if (continues(text)) text = text.trimEnd().slice(0, -escape.length);
    const match = /^\s*(\S+)\s*([\s\S]*?)\s*$/.exec(text);
    if (!match) continue;
    const keyword = match[1].toUpperCase();
    let args = match[2];
    if (keyword === "RUN" || keyword === "COPY" || keyword === "ADD") {
      for (const [, dash, , word] of args.matchAll(HEREDOC)) {
        const body: string[] = [];
        while (i < lines.length) {
          const line = lines[i++];
          if ((dash ? line.replace(/^\t+/, "") : line) === word) break;
          body.push(line);
        }
        args += `\n${body.join("\n")}\n${word}`;
      }
    }
    instructions.push({ keyword, args, line: start + 1 });
  }
  return instructions;
}

/** Splits on whitespace, keeping quoted parts together and dropping the quotes. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"']+))+/g;
  for (const match of text.matchAll(pattern)) {
    words.push(match[0].replace(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g, (_, dq?: string, sq?: string) => dq ?? sq ?? ""));
  }
  return words;
}

export interface Expansion {
  readonly value: string;
  /** Variables that have neither a value nor a default in the text. */
  readonly unresolved: readonly string[];
}

/**
 * Substitutes `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}` as Docker does
 * in FROM lines; `undefined` in `vars` means declared without a value.
 */
export function expandVariables(text: string, vars: ReadonlyMap<string, string | undefined>): Expansion {
  const unresolved: string[] = [];
  const value = text.replace(
    /\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, operator?: string, word?: string, bare?: string) => {
      if (whole === "\\$") return "$";
      const name = (braced ?? bare) as string;
      const current = vars.get(name);
      const set = operator?.startsWith(":") ? current !== undefined && current !== "" : current !== undefined;
      if (operator?.endsWith("-")) return set ? (current as string) : (word ?? "");
      if (operator?.endsWith("+")) return set ? (word ?? "") : "";
      if (current === undefined) unresolved.push(name);
      return current ?? "";
    },
  );
  return { value, unresolved };
}

/** An image reference that names one image for good: a digest, or a tag other than `latest`. */
export function isPinnedReference(reference: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(reference)) return true;
  if (reference.includes("@")) return false;
  const lastPart = reference.slice(reference.lastIndexOf("/") + 1);
  const colon = lastPart.indexOf(":");
  if (colon < 0) return false; // no tag means `latest`
  const tag = lastPart.slice(colon + 1);
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) && tag.toLowerCase() !== "latest";
}

const SECRET_WORDS = new Set(["TOKEN", "TOKENS", "PASSWORD", "PASSWORDS", "PASSWD", "PASS", "SECRET", "SECRETS", "KEY", "KEYS", "APIKEY", "CREDENTIAL", "CREDENTIALS", "CREDS", "AUTH", "PAT", "PRIVATE"]);
const SECRET_PARTS = ["TOKEN", "PASSWORD", "PASSWD", "SECRET", "CREDENTIAL", "APIKEY"];

/** Whether a build argument or environment variable is named like a secret (`GITHUB_TOKEN`, `API_KEY`, `DBPASSWORD`). */
export function looksLikeSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  return upper.split(/[^A-Z0-9]+/).some((word) => SECRET_WORDS.has(word)) || SECRET_PARTS.some((part) => upper.includes(part));
}

/** Names an ARG or ENV instruction declares, with the ARG defaults (`undefined`: no default). */
export function declaredNames(instruction: Instruction): Array<[string, string | undefined]> {
  const words = splitWords(instruction.args);
  // Legacy `ENV NAME value with spaces`.
  if (instruction.keyword === "ENV" && words.length > 0 && !words[0].includes("=")) return [[words[0], words.slice(1).join(" ")]];
  return words.map((word): [string, string | undefined] => {
    const equals = word.indexOf("=");
    return equals < 0 ? [word, undefined] : [word.slice(0, equals), word.slice(equals + 1)];
  });
}

function checkFrom(instruction: Instruction, globalArgs: ReadonlyMap<string, string | undefined>, stages: Set<string>): Problem | undefined {
  const words = splitWords(instruction.args).filter((word) => !word.startsWith("--"));
  const [image = "", as, stage] = words;
  const earlierStage = stages.has(image.toLowerCase());
  if (as?.toLowerCase() === "as" && stage) stages.add(stage.toLowerCase());
  const problem = (message: string): Problem => ({ line: instruction.line, rule: "pinned-from", message });
  if (image === "") return problem("FROM names no image");
  if (image === "scratch" || earlierStage) return undefined;

  const onlyVariable = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(image);
  if (onlyVariable) {
    const name = onlyVariable[1] ?? onlyVariable[2];
    if (!globalArgs.has(name)) return problem(`FROM ${image}: ${name} is not declared by an ARG before the first FROM`);
    const fallback = globalArgs.get(name);
    // No default: the build must pass it (the program passes the base image's digest).
    if (fallback === undefined) return undefined;
    return isPinnedReference(fallback) ? undefined : problem(`FROM ${image}: the default of ARG ${name}, "${fallback}", is not pinned (use a tag other than latest, or a digest)`);
  }
  const expanded = expandVariables(image, globalArgs);
  if (expanded.unresolved.length > 0) {
    return problem(`FROM ${image}: ${expanded.unresolved.join(", ")} has no default; only a FROM that is exactly one build argument may leave the image to the build`);
  }
  return isPinnedReference(expanded.value) ? undefined : problem(`FROM ${image}: "${expanded.value}" is not pinned (use a tag other than latest, or a digest)`);
}

/** Every rule broken by a Dockerfile, in line order; empty when it passes. */
export function checkDockerfile(text: string): Problem[] {
  const instructions = parseDockerfile(text);
  const problems: Problem[] = [];
  const globalArgs = new Map<string, string | undefined>();
  const stages = new Set<string>();
  let seenFrom = false;
  let lastUser: Instruction | undefined;

  for (const instruction of instructions) {
    switch (instruction.keyword) {
      case "FROM": {
        seenFrom = true;
        lastUser = undefined; // USER does not carry over into a new stage
        const problem = checkFrom(instruction, globalArgs, stages);
        if (problem) problems.push(problem);
        break;
      }
      case "USER":
        lastUser = instruction;
        break;
      case "ARG":
      case "ENV":
        for (const [name, value] of declaredNames(instruction)) {
          if (instruction.keyword === "ARG" && !seenFrom) globalArgs.set(name, value);
          if (looksLikeSecretName(name)) {
            problems.push({
              line: instruction.line,
              rule: "secret-name",
              message: `${instruction.keyword} ${name} looks like a secret: build arguments and environment are stored in the image; use a BuildKit secret mount (RUN --mount=type=secret) instead`,
            });
          }
        }
        break;
    }
  }
  if (!seenFrom) problems.push({ line: 1, rule: "pinned-from", message: "no FROM instruction" });
  if (!lastUser) {
    problems.push({ line: instructions.at(-1)?.line ?? 1, rule: "last-user", message: "the final stage sets no USER; end with USER ${NB_UID}" });
  } else if (!/^\$(\{NB_UID\}|NB_UID)$/.test(lastUser.args.trim())) {
    problems.push({ line: lastUser.line, rule: "last-user", message: `the last USER is "${lastUser.args}"; it must be \${NB_UID}, the notebook user` });
  }
  return problems.sort((a, b) => a.line - b.line);
}
