// The real-hub tier can fail: each control breaks one thing the way a regression would, runs the
// homelab hub on chart 4.4.0 with one person starting one profile, and shows the check that
// covers it fails on what the real hub then did.
import type { Settings } from "../../settings";
import { readStackConfig } from "../harness/stackConfig";
import { checks, type CheckContext } from "./hubChecks";
import { renderedStack, runRealHub, type RunOptions } from "./realHub";
import { scenarioFor, type Scenario } from "./scenarios";

const STACK = "homelab";
const CHART = "4.4.0";

/** The Vault hook's token mount as it was in release 2: the traits rebuilt as lists. */
const LIST_ONLY_MOUNT = `    spawner.volumes = [v for v in spawner.volumes or [] if _name_of(v) != TOKEN_VOLUME] + [volume]
    spawner.volume_mounts = [m for m in spawner.volume_mounts or [] if _name_of(m) != TOKEN_VOLUME] + [mount]
`;

async function controlRun(options: RunOptions): Promise<CheckContext> {
  const settings: Settings = (await renderedStack(readStackConfig(STACK), STACK)).settings;
  const full = scenarioFor(settings);
  // tomas: keys for SSH, the lab group, a profile with sshd.
  const tomas = full.people.find((p) => p.name === "tomas")!;
  const scenario: Scenario = { people: [{ ...tomas, mayUse: ["datascience"], namedServer: undefined, forge: undefined }] };
  const run = await runRealHub(STACK, CHART, { people: [{ ...scenario.people[0], spawn: ["datascience"] }] }, options);
  return { run, settings, scenario };
}

describe(`controls: the real hub of ${STACK} on chart ${CHART}, broken on purpose`, () => {
  it("fails to start any server with the list-only Vault token mount of release 2", async () => {
    const ctx = await controlRun({
      mutateValues: (values) => {
        const hook = values.hub.extraFiles["python-vault-token-hook"];
        const fixed = /    spawner\.volumes = with_named\(.*\n    spawner\.volume_mounts = with_named\(.*\n/;
        expect(hook.stringData).toMatch(fixed);
        hook.stringData = hook.stringData.replace(fixed, LIST_ONLY_MOUNT);
      },
    });
    expect(() => checks["starts every profile each person may use, through the real KubeSpawner, one pod each"](ctx)).toThrow();
    const [spawn] = ctx.run.result.people.tomas.spawns;
    expect(spawn.pods).toEqual([]);
    // KubeSpawner's make_pod refuses the dict's keys that the list rebuild kept (strings).
    expect(spawn.progress.join(" ")).toMatch(/Expected object of type 'dict'|object has no attribute/);
  }, 300_000);

  it("catches a server without the CA bundle, and one whose NetworkPolicy no longer reaches Vault", async () => {
    const ctx = await controlRun({
      mutateValues: (values) => {
        // The notebook container no longer mounts the CA (its volume stays, for the init container).
        const storage = values.singleuser.storage;
        storage.extraVolumeMounts = storage.extraVolumeMounts.filter((m: { name: string }) => m.name !== "ca-bundle");
        const egress = values.singleuser.networkPolicy.egress as { ports: { port: number }[] }[];
        values.singleuser.networkPolicy.egress = egress.filter((rule) => !rule.ports.some((p) => p.port === 8200));
      },
    });
    // The server itself still starts: what is missing only shows in what it was given.
    expect(() => checks["starts every profile each person may use, through the real KubeSpawner, one pod each"](ctx)).not.toThrow();
    expect(() => checks["gives every server the stack's CA bundle where the stack has one"](ctx)).toThrow();
    expect(() => checks["lets each pod KubeSpawner sent reach what it needs through the stack's NetworkPolicies, and nothing that must stay closed"](ctx)).toThrow(/server → Vault/);
  }, 300_000);
});
