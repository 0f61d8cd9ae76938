// The preview workflow's sticky render-diff comment (.github/scripts/renderDiffComment.cjs).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../harness/stackConfig";

interface Report {
  stack: string;
  base: "ok" | "failed" | "missing";
  head: "ok" | "failed" | "missing";
  diff: string;
  log: string;
}
interface RenderDiffComment {
  MARKER: string;
  buildComment(reports: Report[], options?: { maxLength?: number; baseRef?: string }): string;
  collectReports(root: string): Report[];
  fenced(text: string, language?: string): string;
  truncated(text: string, max: number, stack: string): string;
  reportRenderDiff(args: { github: unknown; context: unknown; core: unknown; root: string }): Promise<void>;
}
const comment: RenderDiffComment = require(path.join(PROJECT_ROOT, ".github", "scripts", "renderDiffComment.cjs"));

let root: string;
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  fs.writeFileSync(path.join(root, file), text);
};
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "render-diff-"));
  // dev changes, homelab does not, lab is new, broken stops rendering on the pull request.
  write("base/dev/values.yaml", "cull:\n  timeout: 3600\n");
  write("head/dev/values.yaml", "cull:\n  timeout: 1800\n");
  write("base/dev.log", "stack dev\npolicies: 10 passed\n");
  write("head/dev.log", "stack dev: 6 resources\npolicies: 9 passed, 1 advisory\n  warn ssh-service-source-ranges [advisory] x: open\n  written to rendered/dev/\n");
  for (const side of ["base", "head"]) {
    write(`${side}/homelab/values.yaml`, "same: true\n");
    write(`${side}/homelab.log`, "policies: 10 passed\n");
    write(`${side}/broken/values.yaml`, side === "base" ? "a: 1\n" : "");
    write(`${side}/broken.log`, side === "base" ? "policies: 10 passed\n" : "invalid stack config (1 problem):\n  jupyterhub:hub.host: bad\n");
  }
  fs.rmSync(path.join(root, "head/broken/values.yaml"));
  write("head/broken.failed", "");
  write("head/lab/values.yaml", "new: true\n");
  write("head/lab.log", "policies: 10 passed\n");
  write("base/npm-ci.log", "");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

it("reports each stack with its status, the head's policy verdicts and the diff", () => {
  const reports = comment.collectReports(root);
  expect(reports.map(({ stack, base, head }) => [stack, base, head])).toEqual([
    ["broken", "ok", "failed"],
    ["dev", "ok", "ok"],
    ["homelab", "ok", "ok"],
    ["lab", "missing", "ok"],
  ]);
  const body = comment.buildComment(reports, { baseRef: "main" });
  expect(body.startsWith(comment.MARKER)).toBe(true);
  expect(body).toContain("`main` → this pull request");
  expect(body).toContain("### `broken`: :x: render fails on this pull request");
  expect(body).toContain("jupyterhub:hub.host: bad");
  expect(body).toContain("### `dev`: 1 file changed");
  expect(body).toContain("-  timeout: 3600\n+  timeout: 1800");
  expect(body).toContain("policies: 9 passed, 1 advisory\n  warn ssh-service-source-ranges");
  expect(body).not.toContain("written to");
  expect(body).toContain("### `homelab`: no change");
  expect(body).toContain("### `lab`: new stack");
});

it("stays under GitHub's comment limit, saying what it left out", () => {
  const diff = Array.from({ length: 5000 }, (_, i) => `+line ${i}`).join("\n");
  const body = comment.buildComment([{ stack: "big", base: "ok", head: "ok", diff: `diff --git a/x b/x\n${diff}`, log: "" }], { maxLength: 20000 });
  expect(body.length).toBeLessThan(20000);
  expect(body).toMatch(/… \d+ more lines: run `npm run render -- big` on both branches/);
  expect(comment.truncated("short", 100, "x")).toBe("short");
});

it("fences text so that backticks in it cannot end the block", () => {
  expect(comment.fenced("a ``` b", "diff")).toBe("````diff\na ``` b\n````");
});

describe("reportRenderDiff", () => {
  const context = { repo: { owner: "o", repo: "r" }, payload: { pull_request: { number: 7, base: { ref: "main" } } } };
  function fakes(existing: { id: number; user: { type: string }; body: string }[], createError?: { status: number }) {
    const calls: string[] = [];
    const github = {
      paginate: async () => existing,
      rest: {
        issues: {
          listComments: () => undefined,
          createComment: async () => {
            if (createError) throw createError;
            calls.push("create");
          },
          updateComment: async ({ comment_id }: { comment_id: number }) => void calls.push(`update ${comment_id}`),
        },
      },
    };
    const core = {
      summary: { addRaw: () => ({ write: async () => void calls.push("summary") }) },
      warning: (message: string) => void calls.push(`warning ${message}`),
      setFailed: (message: string) => void calls.push(`failed ${message}`),
    };
    return { github, core, calls };
  }

  it("creates the comment once, then updates it, and fails when a stack no longer renders", async () => {
    const first = fakes([{ id: 1, user: { type: "User" }, body: comment.MARKER }]);
    await comment.reportRenderDiff({ github: first.github, context, core: first.core, root });
    expect(first.calls).toEqual(["summary", "create", "failed render fails on this pull request for: broken"]);

    const again = fakes([{ id: 2, user: { type: "Bot" }, body: `${comment.MARKER}\nold` }]);
    await comment.reportRenderDiff({ github: again.github, context, core: again.core, root });
    expect(again.calls).toContain("update 2");
  });

  it("falls back to the job summary when the token may not comment (a fork)", async () => {
    fs.rmSync(path.join(root, "head/broken.failed"));
    const fork = fakes([], { status: 403 });
    await comment.reportRenderDiff({ github: fork.github, context, core: fork.core, root });
    expect(fork.calls).toEqual(["summary", expect.stringMatching(/^warning no permission to comment/)]);
  });
});
