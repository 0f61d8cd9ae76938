// @ts-check
// The adoption guard's dynamic provider (AdoptionGuard.ts), as the plain CommonJS module that
// Pulumi's dynamic provider host loads from the resource's `__provider` input
// (@pulumi/pulumi cmd/dynamic-provider: requireFromString(__provider).handler()). Written as a
// file, not serialized from a closure: the state holds this text, readable and the same on every
// machine, and nothing but Node's own modules is required.
//
// - check: the roster of who was configured at the last `pulumi up` (the old inputs) against the
//   config's, so that a user who simply disappears from the config fails at preview;
// - create, and update when what it guards changed: each object the adopting provider would take
//   over is read with kubectl, and one that exists without this stack's labels is refused.
"use strict";

/**
 * @typedef {{ kind: string, name: string, namespace?: string }} AdoptedObject
 * @typedef {{ users: string[], formerUsers: string[], homes: Record<string, string> }} Roster
 * @typedef {{ kubectl: string[], objects: AdoptedObject[], labels: Record<string, string>, roster: Roster, __provider?: string }} GuardInputs
 */

/** @param {AdoptedObject} object */
function describeObject(object) {
  return `${object.kind} ${object.namespace ? `${object.namespace}/` : ""}${object.name}`;
}

/**
 * Why an existing object must not be adopted, or undefined when it may be (it does not exist, or
 * carries every expected label with its value).
 * @param {AdoptedObject} object
 * @param {{ metadata?: { labels?: Record<string, string> } } | undefined} existing
 * @param {Readonly<Record<string, string>>} expected
 * @returns {string | undefined}
 */
function adoptionProblem(object, existing, expected) {
  if (!existing) return undefined;
  const labels = (existing.metadata && existing.metadata.labels) || {};
  const wrong = Object.entries(expected).filter(([key, value]) => labels[key] !== value);
  if (wrong.length === 0) return undefined;
  const found = wrong.map(([key]) => (labels[key] === undefined ? `no ${key}` : `${key}=${labels[key]}`)).join(", ");
  const want = Object.entries(expected)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  return (
    `${describeObject(object)} exists and is not this stack's (${found}); refusing to take it over. ` +
    "Pick another name in the stack config, or, if it is this stack's (kept by an earlier destroy, or made before these labels existed), label it: " +
    `kubectl label ${object.kind} ${object.name}${object.namespace ? ` -n ${object.namespace}` : ""} --overwrite ${want}`
  );
}

/**
 * What the new roster forgets of the one in state; [] on a first deployment.
 * @param {Roster | undefined} previous
 * @param {Roster} next
 * @returns {string[]}
 */
function rosterProblems(previous, next) {
  if (!previous || !previous.users) return [];
  const kept = new Set([...next.users, ...next.formerUsers, ...Object.values(next.homes)]);
  /** @type {string[]} */
  const problems = [];
  for (const name of previous.users) {
    if (kept.has(name)) continue;
    problems.push(
      `'${name}' was in jupyterhub:users at the last \`pulumi up\` and is now in neither jupyterhub:users nor jupyterhub:formerUsers. ` +
        `Add { name: ${name} } to jupyterhub:formerUsers: their servers are stopped and tokens revoked, their home and Vault secrets are kept, and the name stays theirs. ` +
        `If they were renamed, list '${name}' in renamedFrom of their new name instead.`,
    );
  }
  for (const [name, owner] of Object.entries(previous.homes || {})) {
    const now = next.homes[name];
    if (owner === name || now === undefined || now === owner) continue;
    problems.push(
      `${name}'s home was ${owner}'s at the last \`pulumi up\` (renamedFrom), and would now be ${now}'s: ` +
        `keep '${owner}' first in renamedFrom of ${name}'s entry (in jupyterhub:users or jupyterhub:formerUsers) as long as that home is kept`,
    );
  }
  return problems;
}

/**
 * Reads each object with kubectl; the problems of those that exist and are not this stack's.
 * @param {GuardInputs} inputs
 * @returns {string[]}
 */
function foreignObjects(inputs) {
  const { spawnSync } = require("child_process");
  const [command, ...flags] = inputs.kubectl;
  return inputs.objects.flatMap((object) => {
    const args = [...flags, "get", object.kind, object.name, ...(object.namespace ? ["--namespace", object.namespace] : []), "--output", "json", "--ignore-not-found"];
    const result = spawnSync(command, args, { encoding: "utf8", timeout: 60000 });
    if (result.error || result.status !== 0) {
      const why = result.error ? result.error.message : `${result.stderr}`.trim();
      return [`cannot check whether ${describeObject(object)} may be adopted (${[command, ...args].join(" ")}): ${why}`];
    }
    const existing = result.stdout.trim() ? JSON.parse(result.stdout) : undefined;
    const problem = adoptionProblem(object, existing, inputs.labels);
    return problem ? [problem] : [];
  });
}

/** @param {GuardInputs} inputs */
function assertAdoptable(inputs) {
  const problems = foreignObjects(inputs);
  if (problems.length > 0) throw new Error(problems.join("\n"));
}

/** @param {GuardInputs} a @param {GuardInputs} b */
const sameObjects = (a, b) => JSON.stringify([a.kubectl, a.objects, a.labels]) === JSON.stringify([b.kubectl, b.objects, b.labels]);

const provider = {
  /** @param {GuardInputs | undefined} olds @param {GuardInputs} news */
  async check(olds, news) {
    const failures = rosterProblems(olds && olds.roster, news.roster).map((reason) => ({ property: "roster", reason }));
    return { inputs: news, failures };
  },
  /** @param {string} _id @param {GuardInputs} olds @param {GuardInputs} news */
  async diff(_id, olds, news) {
    // A new version of this file is a change too: the state keeps the provider's text.
    const changes = !sameObjects(olds, news) || JSON.stringify(olds.roster) !== JSON.stringify(news.roster) || olds.__provider !== news.__provider;
    return { changes, replaces: [], deleteBeforeReplace: false };
  },
  /** @param {GuardInputs} inputs */
  async create(inputs) {
    assertAdoptable(inputs);
    return { id: "adoption-guard", outs: inputs };
  },
  /** @param {string} _id @param {GuardInputs} olds @param {GuardInputs} news */
  async update(_id, olds, news) {
    if (!sameObjects(olds, news)) assertAdoptable(news);
    return { outs: news };
  },
};

module.exports = { handler: () => provider, provider, describeObject, adoptionProblem, rosterProblems };
