// A 1Password reference that fails at `pulumi up` (an empty or missing field, a note that is not a
// certificate) fails inside an apply, once 1Password has answered. Each error names the config key
// of the reference, and never the item, the field or a value (a mistake there may be a pasted
// secret, settings/secretShapes.ts). Run as the language host runs the program (upRun.ts), on the
// homelab stack, whose Google client secret, image logins and CA all come from 1Password.
import { readStackConfig } from "../harness/stackConfig";
import { upRuns, type UpRun } from "../identity/upRun";

const GET_ITEM = "onepassword:index/getItem:getItem";
/** Every item answered without values (offline/invokeFixtures.ts onePasswordItem, emptied). */
const EMPTY_ITEMS = { username: "", credential: "", password: "", noteValue: "", sections: [] };

const homelab = readStackConfig("homelab");
const KEYS = [
  "jupyterhub:caBundle.onePassword.field",
  "jupyterhub:images.credentials.tokenField",
  "jupyterhub:images.credentials.usernameField",
  "jupyterhub:images.pullCredentials.tokenField",
  "jupyterhub:images.pullCredentials.usernameField",
  "jupyterhub:keycloak.identityProviders.google.clientSecret",
];

function keysOf(run: UpRun): string[] {
  return run.errors.flatMap((e) => [...e.message.matchAll(/^ {2}(jupyterhub:\S+): /gm)].map((m) => m[1])).sort();
}

function expectNothingEchoed(run: UpRun): void {
  for (const { runError, message } of run.errors) {
    expect(runError).toBe(true);
    expect(message).not.toMatch(/a 1Password reference of the stack config/);
    // Item titles and the fixture's values (derived from the titles). The field names the stack
    // uses here (notes, username, credential) are also the guidance's own words, so not checked.
    for (const text of ["Homelab root CA", "GHCR jupyter images", "Google OAuth client", "fixture-", "4ytqzgbnbkcxdmhovc2rxe3nqa"]) expect(message).not.toContain(text);
  }
}

// The three runs in one process (upRuns): each as `pulumi up` would run it. The control between
// the two that fail: a rejection of the first arriving late would fail the control, and could not
// stand in for the CA's error that the last one must report itself.
let emptied: UpRun;
let notACertificate: UpRun;
let control: UpRun;
beforeAll(() => {
  [emptied, control, notACertificate] = upRuns([
    { config: homelab, answers: { [GET_ITEM]: EMPTY_ITEMS } },
    { config: homelab },
    { config: homelab, answers: { [GET_ITEM]: { noteValue: "password: hunter2-not-a-certificate" } } },
  ]);
});

it("names the key of every 1Password reference whose field is empty", () => {
  const run = emptied;
  expect(keysOf(run).filter((key) => KEYS.includes(key))).toEqual(KEYS);
  expectNothingEchoed(run);
});

it("names the CA's key when its note is not a certificate, without repeating the item or the note", () => {
  const run = notACertificate;
  expect(keysOf(run)).toContain("jupyterhub:caBundle.onePassword");
  for (const { message } of run.errors) expect(message).not.toContain("hunter2");
  expectNothingEchoed(run);
});

it("runs clean with the fixtures as they are (the control)", () => {
  expect(control.errors).toEqual([]);
});
