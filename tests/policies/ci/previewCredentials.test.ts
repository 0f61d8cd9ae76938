// The CI guide's list of what a homelab preview reads from outside matches the provider functions the
// program really calls while declaring the stack.
import * as fs from "fs";
import * as path from "path";
import { renderStack } from "../../harness/renderStack";
import { PROJECT_ROOT, readStackConfig } from "../../harness/stackConfig";

function readmeList(): Record<string, string[]> {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "how-to", "ci-previews-and-deploys.md"), "utf8");
  const block = /<!-- preview-reads:homelab -->\n([\s\S]*?)<!-- \/preview-reads -->/.exec(readme)![1];
  return Object.fromEntries(
    block
      .trim()
      .split("\n")
      .map((line) => {
        const [, provider, names] = /^- (\w+) \([^)]*\), [a-z ]+: (.*)$/i.exec(line)!;
        return [provider, [...names.matchAll(/`([^`]+)`/g)].map((m) => m[1]).sort()];
      }),
  );
}

it("lists every 1Password item and Vault read of a homelab preview, and nothing else", async () => {
  const { invokes } = await renderStack(readStackConfig("homelab"), "homelab");
  const read = (token: string, key: string) => [...new Set(invokes.filter((i) => i.token === token).map((i) => String(i.args[key])))].sort();
  expect(new Set(invokes.map((i) => i.token))).toEqual(new Set(["onepassword:index/getItem:getItem", "vault:index/getAuthBackend:getAuthBackend"]));
  expect(readmeList()).toEqual({
    "1Password": read("onepassword:index/getItem:getItem", "title"),
    Vault: read("vault:index/getAuthBackend:getAuthBackend", "path"),
  });
});
