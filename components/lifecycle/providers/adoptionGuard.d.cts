// Types of adoptionGuard.cjs for the program's TypeScript.
export interface AdoptedObject {
  /** kubectl's name of the kind: namespace, persistentvolume, persistentvolumeclaim. */
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}
export interface Roster {
  readonly users: readonly string[];
  readonly formerUsers: readonly string[];
  /** User or former user → the name their home is named after. */
  readonly homes: Readonly<Record<string, string>>;
}
export interface GuardInputs {
  kubectl: string[];
  objects: AdoptedObject[];
  labels: Record<string, string>;
  roster: Roster;
}
export declare function describeObject(object: AdoptedObject): string;
export declare function adoptionProblem(
  object: AdoptedObject,
  existing: { metadata?: { labels?: Record<string, string> } } | undefined,
  expected: Readonly<Record<string, string>>,
): string | undefined;
export declare function rosterProblems(previous: Roster | undefined, next: Roster): string[];
export declare const provider: {
  check(olds: Partial<GuardInputs> | undefined, news: GuardInputs): Promise<{ inputs: GuardInputs; failures: { property: string; reason: string }[] }>;
  diff(id: string, olds: GuardInputs, news: GuardInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>;
  create(inputs: GuardInputs): Promise<{ id: string; outs: GuardInputs }>;
  update(id: string, olds: GuardInputs, news: GuardInputs): Promise<{ outs: GuardInputs }>;
};
export declare function handler(): typeof provider;
