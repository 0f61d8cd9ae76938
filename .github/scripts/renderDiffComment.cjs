// @ts-check
// The pull request's render diff (workflows/preview.yml): compares what `npm run render` wrote
// for the base branch and for the pull request, stack by stack, and keeps it in ONE comment per
// pull request, updated on every push. Run by actions/github-script; the pure parts are tested
// in tests/policies/ci/renderDiffComment.test.ts.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

/** Finds our comment among the pull request's comments; never shown to readers. */
const MARKER = "<!-- jupyterhub-pulumi:render-diff -->";
// GitHub rejects comments over 65,536 characters; keep room for the headings.
const MAX_COMMENT = 60000;

/**
 * @typedef {object} StackReport
 * @property {string} stack
 * @property {"ok" | "failed" | "missing"} base  render result on the base branch
 * @property {"ok" | "failed" | "missing"} head  render result on the pull request
 * @property {string} diff   unified diff base → head of the rendered files ("" when equal)
 * @property {string} log    what render printed for the pull request
 */

/** Stack names rendered on either side (from <side>/<stack>.log), sorted. */
function stackNames(root) {
  const names = new Set();
  for (const side of ["base", "head"]) {
    const dir = path.join(root, side);
    if (!fs.existsSync(dir)) continue;
    for (const file of fs.readdirSync(dir)) {
      const match = /^(.+)\.log$/.exec(file);
      if (match && match[1] !== "npm-ci") names.add(match[1]);
    }
  }
  return [...names].sort();
}

/** @returns {"ok" | "failed" | "missing"} */
function status(root, side, stack) {
  if (!fs.existsSync(path.join(root, side, `${stack}.log`))) return "missing";
  return fs.existsSync(path.join(root, side, `${stack}.failed`)) ? "failed" : "ok";
}

/** `git diff --no-index` of base/<stack> and head/<stack>, run from root so paths stay short. */
function stackDiff(root, stack) {
  for (const side of ["base", "head"]) fs.mkdirSync(path.join(root, side, stack), { recursive: true });
  const result = spawnSync("git", ["diff", "--no-index", "--no-color", "--", `base/${stack}`, `head/${stack}`], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  // 0: no difference, 1: differences; anything else is git failing.
  if (result.status !== 0 && result.status !== 1) throw new Error(`git diff failed for ${stack}: ${result.stderr}`);
  return result.stdout;
}

/** @returns {StackReport[]} */
function collectReports(root) {
  return stackNames(root).map((stack) => ({
    stack,
    base: status(root, "base", stack),
    head: status(root, "head", stack),
    diff: stackDiff(root, stack),
    log: readIfExists(path.join(root, "head", `${stack}.log`)),
  }));
}

function readIfExists(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
}

/** A code fence longer than any run of backticks in the text, so the text cannot close it. */
function fenced(text, language = "") {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${language}\n${text.replace(/\n$/, "")}\n${fence}`;
}

/** The first `max` characters of the text, cut at a line end, with a note of what was left out. */
function truncated(text, max, stack) {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf("\n", max);
  const kept = text.slice(0, cut > 0 ? cut : max);
  const left = text.slice(kept.length).split("\n").length - 1;
  return `${kept}\n… ${left} more lines: run \`npm run render -- ${stack}\` on both branches to see all of it`;
}

/** The policy lines render printed ("policies: …" and the violations under it). */
function policyLines(log) {
  const lines = log.split("\n");
  const start = lines.findIndex((line) => /^policies: /.test(line));
  if (start < 0) return "";
  const end = lines.findIndex((line, index) => index > start && !/^ {2}(FAIL|warn) /.test(line));
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

function changedFiles(diff) {
  return [...diff.matchAll(/^diff --git /gm)].length;
}

/**
 * The comment's markdown for the reports.
 * @param {StackReport[]} reports
 * @param {{ maxLength?: number, baseRef?: string }} [options]
 */
function buildComment(reports, options = {}) {
  const maxLength = options.maxLength ?? MAX_COMMENT;
  const base = options.baseRef ? `\`${options.baseRef}\`` : "the base branch";
  const header = [
    MARKER,
    "## Render diff",
    "",
    `What \`npm run render\` writes for each stack (Helm values and declared resources), ${base} → this pull request. ` +
      "Offline: no cluster or credentials; secrets show as `[secret]`.",
  ];
  if (reports.length === 0) return [...header, "", "No `Pulumi.<stack>.yaml` on either side."].join("\n");
  const budget = Math.max(1000, Math.floor((maxLength - 2000) / reports.length));
  const sections = reports.map((report) => stackSection(report, budget));
  return [...header, ...sections].join("\n");
}

/** @param {StackReport} report */
function stackSection(report, budget) {
  const { stack, diff } = report;
  const lines = [""];
  if (report.head === "missing") lines.push(`### \`${stack}\`: removed by this pull request`);
  else if (report.head === "failed") lines.push(`### \`${stack}\`: :x: render fails on this pull request`);
  else if (report.base === "missing") lines.push(`### \`${stack}\`: new stack`);
  else if (report.base === "failed") lines.push(`### \`${stack}\`: renders again (it failed on the base branch)`);
  else if (!diff) lines.push(`### \`${stack}\`: no change`);
  else lines.push(`### \`${stack}\`: ${changedFiles(diff)} file${changedFiles(diff) === 1 ? "" : "s"} changed`);

  if (report.head === "failed") {
    lines.push("", fenced(truncated(report.log.trim(), Math.floor(budget / 2), stack)));
  } else if (report.head === "ok") {
    const policies = policyLines(report.log);
    if (policies) lines.push("", fenced(policies));
  }
  if (diff) {
    lines.push("", "<details><summary>diff</summary>", "", fenced(truncated(diff, budget, stack), "diff"), "", "</details>");
  }
  return lines.join("\n");
}

/** Creates the pull request's render-diff comment, or updates it when it exists. */
async function upsertComment({ github, context, body }) {
  const { owner, repo } = context.repo;
  const issue_number = context.payload.pull_request.number;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const existing = comments.find((comment) => comment.user?.type === "Bot" && comment.body?.includes(MARKER));
  if (existing) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
  } else {
    await github.rest.issues.createComment({ owner, repo, issue_number, body });
  }
}

/**
 * Entry point for actions/github-script: the job summary always, the pull request comment when
 * the token may write (pull requests from forks get a read-only token), and a failed step when
 * a stack no longer renders on the pull request.
 */
async function reportRenderDiff({ github, context, core, root }) {
  const reports = collectReports(root);
  const body = buildComment(reports, { baseRef: context.payload.pull_request?.base?.ref });
  await core.summary.addRaw(body).write();
  try {
    await upsertComment({ github, context, body });
  } catch (error) {
    if (error && error.status === 403) core.warning("no permission to comment (a pull request from a fork?); the diff is in the job summary");
    else throw error;
  }
  const failed = reports.filter((report) => report.head === "failed").map((report) => report.stack);
  if (failed.length > 0) core.setFailed(`render fails on this pull request for: ${failed.join(", ")}`);
}

module.exports = { MARKER, buildComment, collectReports, fenced, policyLines, reportRenderDiff, truncated, upsertComment };
