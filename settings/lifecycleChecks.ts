// Cross-checks of users over their life (settings/lifecycleSchema.ts): a name that once had data
// keeps it, so it may go to nobody else by accident, and a rename must say one thing only.
import type { CrossCheckProblem } from "./crossChecks";
import type { Settings } from "./schema";

type Sections = Partial<Settings>;

export function checkUserLifecycle({ users, formerUsers }: Sections): CrossCheckProblem[] {
  if (!users || !formerUsers) return [];
  const problems: CrossCheckProblem[] = [];
  const former = new Map<string, number>();
  formerUsers.forEach(({ name }, index) => {
    const first = former.get(name);
    if (first !== undefined) problems.push({ path: ["formerUsers", index, "name"], message: `'${name}' is already listed at formerUsers[${first}]` });
    else former.set(name, index);
  });
  const configured = new Map(users.map((user, index) => [user.name, index]));
  // Earlier name → where it is claimed: "users[i]" or "formerUsers[i]".
  const renamedBy = new Map<string, string>();
  const claimEarlierName = (old: string, owner: string, path: (string | number)[]) => {
    const first = renamedBy.get(old);
    if (first === owner) problems.push({ path, message: `'${old}' is listed twice` });
    else if (first !== undefined) problems.push({ path, message: `'${old}' is already an earlier name of ${first}: one person's data can move to one new name only` });
    else renamedBy.set(old, owner);
  };

  users.forEach((user, index) => {
    const at = (...path: (string | number)[]) => ["users", index, ...path];
    const formerIndex = former.get(user.name);
    if (formerIndex !== undefined && !user.inherit) {
      problems.push({
        path: at("name"),
        message:
          `'${user.name}' is a former user (formerUsers[${formerIndex}]): their home, Vault secrets and hub account are kept, and whoever gets the name gets them. ` +
          "Choose another name, or set inherit: true on this user if they are meant to have them (the same person back, or a hand-over)",
      });
    }
    if (user.inherit && formerIndex === undefined) {
      problems.push({ path: at("inherit"), message: `only for a name listed in jupyterhub:formerUsers, and '${user.name}' is not one` });
    }
    (user.renamedFrom ?? []).forEach((old, position) => {
      const path = at("renamedFrom", position);
      if (old === user.name) {
        problems.push({ path, message: "is this user's own name; list only earlier names" });
        return;
      }
      const other = configured.get(old);
      if (other !== undefined) {
        problems.push({ path, message: `'${old}' is the name of users[${other}]; a renamed user's old name stays retired, and their data is this user's` });
      }
      if (former.has(old)) {
        problems.push({
          path,
          message: `'${old}' is also in formerUsers[${former.get(old)}]: a renamed user is not a former one; remove it from formerUsers (renamedFrom keeps the name retired)`,
        });
      }
      claimEarlierName(old, `users[${index}]`, path);
    });
  });
  formerUsers.forEach((entry, index) => {
    (entry.renamedFrom ?? []).forEach((old, position) => {
      const path = ["formerUsers", index, "renamedFrom", position];
      if (old === entry.name) problems.push({ path, message: "is this user's own name; list only earlier names" });
      else if (configured.has(old) || former.has(old)) {
        problems.push({ path, message: `'${old}' is listed as a user of its own (${configured.has(old) ? `users[${configured.get(old)}]` : `formerUsers[${former.get(old)}]`})` });
      } else claimEarlierName(old, `formerUsers[${index}]`, path);
    });
  });
  return problems;
}
