// Users over their life in the config: formerUsers, renamedFrom and inherit, and every mistake
// refused with the key and what to do.
import { parseSettings } from "../../settings/parseSettings";
import { minimalConfig, type RawConfig } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";

const withUsers = (users: RawConfig[], formerUsers?: RawConfig[]): RawConfig => ({ ...minimalConfig(), users, ...(formerUsers ? { formerUsers } : {}) });

it("leaves a plain users entry as it was, and formerUsers empty", () => {
  const settings = parseSettings(minimalConfig());
  expect(settings.users[0]).toEqual({ name: "ada", admin: true, groups: [] });
  expect(settings.formerUsers).toEqual([]);
});

it("accepts former users, a rename and a deliberate inheritance", () => {
  const settings = parseSettings(
    withUsers(
      [{ name: "ada", admin: true }, { name: "aiko", renamedFrom: ["aiko.tanaka", "aiko.t"] }, { name: "bob", inherit: true }],
      [{ name: "bob", note: "left in May; back in June" }, { name: "carol" }],
    ),
  );
  expect(settings.formerUsers).toEqual([{ name: "bob", note: "left in May; back in June" }, { name: "carol" }]);
  expect(settings.users[1]).toMatchObject({ name: "aiko", renamedFrom: ["aiko.tanaka", "aiko.t"] });
  expect(settings.users[2]).toMatchObject({ name: "bob", inherit: true });
});

it("refuses a former user's name for someone else unless they are meant to inherit", () => {
  expect(problemsOf(withUsers([{ name: "ada" }, { name: "carol" }], [{ name: "carol" }]))).toEqual([
    "jupyterhub:users[1].name: 'carol' is a former user (formerUsers[0]): their home, Vault secrets and hub account are kept, and whoever gets the name gets them. " +
      "Choose another name, or set inherit: true on this user if they are meant to have them (the same person back, or a hand-over)",
  ]);
  expect(problemsOf(withUsers([{ name: "ada" }, { name: "carol", inherit: false }], [{ name: "carol" }]))).toHaveLength(1);
  expect(problemsOf(withUsers([{ name: "ada" }, { name: "carol", inherit: true }], [{ name: "carol" }]))).toEqual([]);
});

it("refuses inherit on a name nobody had", () => {
  expect(problemsOf(withUsers([{ name: "ada", inherit: true }]))).toEqual([
    "jupyterhub:users[0].inherit: only for a name listed in jupyterhub:formerUsers, and 'ada' is not one",
  ]);
});

it("refuses renames that say two things at once", () => {
  expect(
    problemsOf(
      withUsers(
        [
          { name: "ada", renamedFrom: ["ada"] },
          { name: "grace", renamedFrom: ["ada"] },
          { name: "aiko", renamedFrom: ["carol", "aiko.t", "aiko.t"] },
          { name: "hedy", renamedFrom: ["aiko.t"] },
        ],
        [{ name: "carol" }, { name: "carol" }],
      ),
    ),
  ).toEqual([
    "jupyterhub:formerUsers[1].name: 'carol' is already listed at formerUsers[0]",
    "jupyterhub:users[0].renamedFrom[0]: is this user's own name; list only earlier names",
    "jupyterhub:users[1].renamedFrom[0]: 'ada' is the name of users[0]; a renamed user's old name stays retired, and their data is this user's",
    "jupyterhub:users[2].renamedFrom[0]: 'carol' is also in formerUsers[0]: a renamed user is not a former one; remove it from formerUsers (renamedFrom keeps the name retired)",
    "jupyterhub:users[2].renamedFrom[2]: 'aiko.t' is listed twice",
    "jupyterhub:users[3].renamedFrom[0]: 'aiko.t' is already an earlier name of users[2]: one person's data can move to one new name only",
  ]);
});

it("checks the names in formerUsers and renamedFrom like usernames, and an empty renamedFrom", () => {
  expect(problemsOf(withUsers([{ name: "ada", renamedFrom: [] }, { name: "grace", renamedFrom: ["Grace"] }], [{ name: "Bob" }]))).toEqual([
    "jupyterhub:users[0].renamedFrom: list the earlier names, or leave renamedFrom out",
    expect.stringMatching(/^jupyterhub:users\[1\]\.renamedFrom\[0\]: must be a lower-case username/),
    expect.stringMatching(/^jupyterhub:formerUsers\[0\]\.name: must be a lower-case username/),
  ]);
});

it("keeps a renamed former user's home under the oldest name, and checks those names too", () => {
  const settings = parseSettings(withUsers([{ name: "ada" }], [{ name: "hedy", renamedFrom: ["hedy.l"] }]));
  expect(settings.formerUsers).toEqual([{ name: "hedy", renamedFrom: ["hedy.l"] }]);
  expect(problemsOf(withUsers([{ name: "ada", renamedFrom: ["hedy.l"] }], [{ name: "hedy", renamedFrom: ["hedy", "ada", "hedy.l"] }, { name: "bob" }]))).toEqual([
    "jupyterhub:formerUsers[0].renamedFrom[0]: is this user's own name; list only earlier names",
    "jupyterhub:formerUsers[0].renamedFrom[1]: 'ada' is listed as a user of its own (users[0])",
    "jupyterhub:formerUsers[0].renamedFrom[2]: 'hedy.l' is already an earlier name of users[0]: one person's data can move to one new name only",
  ]);
});
