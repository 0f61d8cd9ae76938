// One line of `npm run doctor`'s report.
export type Verdict = "ok" | "missing" | "warning" | "skipped";

export interface Finding {
  readonly verdict: Verdict;
  readonly what: string;
  /** What is wrong and what to do, or why it was not checked. */
  readonly detail?: string;
}

export const ok = (what: string, detail?: string): Finding => ({ verdict: "ok", what, detail });
export const missing = (what: string, detail: string): Finding => ({ verdict: "missing", what, detail });
export const warning = (what: string, detail: string): Finding => ({ verdict: "warning", what, detail });
export const skipped = (what: string, detail: string): Finding => ({ verdict: "skipped", what, detail });

/** The line of a tool's output that says what went wrong (kubectl prints klog lines before it). */
export function lastLine(output: string): string {
  return output.trim().split("\n").pop() ?? "";
}
