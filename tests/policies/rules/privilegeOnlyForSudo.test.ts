import { privilegeOnlyForSudo, SUDO_CAPABILITIES } from "../../../policies/rules/privilegeOnlyForSudo";
import { PSA_BASELINE_CAPABILITIES } from "../../../policies/rules/podSecurity";
import { buildProfile } from "../../../components/hub/profileList";
import { homeOwnerInitContainers } from "../../../components/storage/homeVolumes";
import { trustInitContainer } from "../../../components/trust/caBundleValues";
import { profile, releaseArgs, sudoProfile, SUDO_SECURITY, values, type Json } from "../chartFixtures";
import { assertHasViolation, assertNoViolation, violationsOf } from "../policyHarness";

const policy = privilegeOnlyForSudo();
const withProfiles = (...profileList: Json[]) => releaseArgs(values({ profileList }));

it("passes a sudo profile that sets uid 0, escalation and GRANT_SUDO together, with reduced capabilities and RuntimeDefault", () => {
  assertNoViolation(policy, withProfiles(profile("plain"), sudoProfile()));
  assertNoViolation(policy, withProfiles(profile("one", { uid: 0, environment: { GRANT_SUDO: "1" }, ...SUDO_SECURITY })));
});

it("fails root or escalation in a profile that does not ask for sudo", () => {
  const args = withProfiles(profile("root", { uid: 0 }), profile("escalate", { allow_privilege_escalation: true, environment: { GRANT_SUDO: "no" } }));
  expect(violationsOf(policy, args)).toEqual([
    'singleuser.profileList[0] (root): uid: 0 without environment.GRANT_SUDO: "yes"; only sudo profiles may',
    'singleuser.profileList[1] (escalate): allow_privilege_escalation: true without environment.GRANT_SUDO: "yes"; only sudo profiles may',
  ]);
});

it("fails chart-wide escalation or root, and privileged containers anywhere", () => {
  assertHasViolation(policy, releaseArgs(values({ allowPrivilegeEscalation: true })), "singleuser.allowPrivilegeEscalation is true");
  assertHasViolation(policy, releaseArgs(values({ uid: 0 })), "singleuser.uid is 0");
  assertHasViolation(policy, withProfiles(sudoProfile("root"), profile("p", { privileged: true })), "(p): privileged containers");
  assertHasViolation(policy, withProfiles(sudoProfile("root", { privileged: true })), "(root): privileged containers are never needed, not even for sudo");
});

it("reads a choice as KubeSpawner applies it: its environment replaces the profile's", () => {
  const sudo = sudoProfile("workbench");
  sudo.profile_options = { flavour: { choices: { plain: { kubespawner_override: { environment: { TZ: "UTC" } } } } } };
  assertHasViolation(policy, withProfiles(sudo), "(workbench).profile_options.flavour.choices.plain: uid: 0 and allow_privilege_escalation: true");
});

describe("privilege through other KubeSpawner keys (issue 12)", () => {
  it("fails a privileged notebook container through extra_container_config or container_security_context, even for sudo", () => {
    for (const override of [
      { extra_container_config: { securityContext: { privileged: true } } },
      { extra_container_config: { security_context: { privileged: true } } },
      { container_security_context: { privileged: true } },
    ]) {
      assertHasViolation(policy, withProfiles(profile("p", override)), "singleuser.profileList[0] (p): privileged containers are never needed");
      assertHasViolation(policy, withProfiles(sudoProfile("s", override)), "(s): privileged containers are never needed");
    }
  });

  it("fails runAsUser 0 or escalation through security contexts without GRANT_SUDO", () => {
    const cases: [Json, string][] = [
      [{ container_security_context: { runAsUser: 0 } }, "container_security_context.runAsUser: 0"],
      [{ extra_container_config: { securityContext: { runAsUser: 0 } } }, "extra_container_config.securityContext.runAsUser: 0"],
      [{ pod_security_context: { runAsUser: 0 } }, "pod_security_context.runAsUser: 0"],
      [{ extra_pod_config: { securityContext: { runAsUser: 0 } } }, "extra_pod_config.securityContext.runAsUser: 0"],
      [{ container_security_context: { allowPrivilegeEscalation: true } }, "container_security_context.allowPrivilegeEscalation: true"],
      [{ container_security_context: { capabilities: { add: ["CHOWN"] } } }, "container_security_context.capabilities.add CHOWN"],
    ];
    for (const [override, ask] of cases) {
      expect(violationsOf(policy, withProfiles(profile("p", override)))).toEqual([
        `singleuser.profileList[0] (p): ${ask} without environment.GRANT_SUDO: "yes"; only sudo profiles may`,
      ]);
    }
  });

  it("fails host namespaces, seccomp Unconfined and hostPath volumes in any profile, and chart-wide", () => {
    const hostPID = withProfiles(profile("p", { extra_pod_config: { hostPID: true, host_network: true, hostIPC: true } }));
    expect(violationsOf(policy, hostPID)).toEqual([
      "singleuser.profileList[0] (p): extra_pod_config.hostPID is true: the server would share the node's PID namespace",
      "singleuser.profileList[0] (p): extra_pod_config.hostNetwork is true: the server would share the node's Network namespace",
      "singleuser.profileList[0] (p): extra_pod_config.hostIPC is true: the server would share the node's IPC namespace",
    ]);
    assertHasViolation(policy, withProfiles(sudoProfile("s", { extra_pod_config: { hostPID: true } })), "(s): extra_pod_config.hostPID is true");
    assertHasViolation(policy, releaseArgs(values({ extraPodConfig: { hostNetwork: true } })), "singleuser.extraPodConfig.hostNetwork is true");
    assertHasViolation(policy, releaseArgs(values({ extraPodConfig: { securityContext: { runAsUser: 0 } } })), "singleuser.extraPodConfig.securityContext.runAsUser is 0");
    assertHasViolation(policy, withProfiles(profile("p", { container_security_context: { seccompProfile: { type: "Unconfined" } } })), "seccomp Unconfined is never needed");
    assertHasViolation(policy, withProfiles(profile("p", { volumes: [{ name: "root", hostPath: { path: "/" } }] })), "(p): volumes root is a hostPath");
    assertHasViolation(
      policy,
      releaseArgs(values({ storage: { extraVolumes: [{ name: "docker", hostPath: { path: "/var/run/docker.sock" } }] } })),
      "singleuser.storage.extraVolumes docker is a hostPath",
    );
  });

  it("fails privilege set chart-wide through hub.config.KubeSpawner", () => {
    const chartWide = (kubeSpawner: Json) => releaseArgs(values({}, { hub: { config: { KubeSpawner: { delete_pvc: false, ...kubeSpawner } } } }));
    assertNoViolation(policy, chartWide({}));
    assertHasViolation(policy, chartWide({ privileged: true }), "hub.config.KubeSpawner: privileged containers are never needed");
    assertHasViolation(policy, chartWide({ uid: 0, environment: { GRANT_SUDO: "yes" } }), "hub.config.KubeSpawner: uid: 0 for every server; only sudo profiles may");
    assertHasViolation(policy, chartWide({ extra_pod_config: { hostPID: true } }), "hub.config.KubeSpawner: extra_pod_config.hostPID is true");
    assertHasViolation(policy, chartWide({ init_containers: [{ name: "x", image: "busybox:1", securityContext: { privileged: true } }] }), "init_containers x is privileged");
  });

  it("fails a sudo profile that adds capabilities outside the baseline set", () => {
    const sudo = sudoProfile("s", { container_security_context: { capabilities: { drop: ["ALL"], add: ["SYS_ADMIN", "NET_RAW"] } } });
    expect(violationsOf(policy, withProfiles(sudo))).toEqual([
      "singleuser.profileList[0] (s): adds SYS_ADMIN, NET_RAW, outside the Pod Security baseline set; never needed, not even for sudo",
      `singleuser.profileList[0] (s): the sudo profile adds SYS_ADMIN, NET_RAW, beyond what sudo needs (${SUDO_CAPABILITIES.join(", ")})`,
    ]);
  });
});

describe("init and extra containers (issue 12)", () => {
  // The init containers the program adds: home-owner (root with CHOWN and FOWNER only) for NFS
  // homes, ca-trust (uid 1000, nothing) for a custom CA.
  const legit = [
    ...homeOwnerInitContainers({ type: "nfs", server: "nas", path: "/homes", mountOptions: [], capacity: "1Gi", deleteHomesOnDestroy: false }),
    trustInitContainer("quay.io/jupyter/minimal-notebook:2025-10-06"),
  ];

  it("passes the program's home-owner and ca-trust init containers, chart-wide and per profile", () => {
    expect(legit.map((container) => container.name)).toEqual(["home-owner", "ca-trust"]);
    assertNoViolation(policy, releaseArgs(values({ initContainers: legit, profileList: [profile("p", { init_containers: legit }), sudoProfile("s", { init_containers: legit })] })));
  });

  it("fails a privileged init container, one with root and more capabilities, or one without a security context", () => {
    const attacker = [
      { name: "priv", image: "busybox:1", securityContext: { privileged: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } },
      { name: "caps", image: "busybox:1", securityContext: { runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["CHOWN", "SYS_ADMIN", "cap_net_admin"] } } },
      { name: "bare", image: "busybox:1" },
    ];
    expect(violationsOf(policy, withProfiles(profile("p", { init_containers: attacker })))).toEqual([
      "singleuser.profileList[0] (p): init_containers priv is privileged: it would own the node",
      "singleuser.profileList[0] (p): init_containers caps adds SYS_ADMIN, NET_ADMIN; a helper container may add back only CHOWN, DAC_OVERRIDE, FOWNER",
      "singleuser.profileList[0] (p): init_containers bare does not set allowPrivilegeEscalation: false",
      "singleuser.profileList[0] (p): init_containers bare does not drop ALL capabilities, so it keeps the runtime's defaults",
    ]);
  });

  it("checks chart-wide init and extra containers, and those in extra_pod_config", () => {
    const privileged = [{ name: "x", image: "busybox:1", securityContext: { privileged: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }];
    assertHasViolation(policy, releaseArgs(values({ initContainers: privileged })), "singleuser.initContainers x is privileged");
    assertHasViolation(policy, releaseArgs(values({ extraContainers: privileged })), "singleuser.extraContainers x is privileged");
    assertHasViolation(policy, releaseArgs(values({ extraPodConfig: { initContainers: privileged } })), "singleuser.extraPodConfig.initContainers x is privileged");
    assertHasViolation(policy, withProfiles(profile("p", { extra_containers: privileged })), "(p): extra_containers x is privileged");
    assertHasViolation(policy, withProfiles(profile("p", { extra_pod_config: { init_containers: privileged } })), "(p): extra_pod_config.initContainers x is privileged");
  });

  it("reports a profile's init containers once, not again for each of its choices", () => {
    const p = profile("p", { init_containers: [{ name: "bare", image: "busybox:1" }] });
    p.profile_options = { size: { choices: { small: { kubespawner_override: { cpu_limit: 1 } } } } };
    expect(violationsOf(policy, withProfiles(p)).filter((message) => message.includes("bare does not set"))).toHaveLength(1);
  });
});

describe("the sudo profile's hardening (issue 12)", () => {
  it("fails a sudo profile with the runtime's default capabilities and no seccomp profile", () => {
    const bare = profile("workbench", { uid: 0, allow_privilege_escalation: true, environment: { GRANT_SUDO: "yes" } });
    expect(violationsOf(policy, withProfiles(bare))).toEqual([
      `singleuser.profileList[0] (workbench): the sudo profile keeps the runtime's default capabilities; drop ALL and add back only ${SUDO_CAPABILITIES.join(", ")} (container_security_context.capabilities)`,
      "singleuser.profileList[0] (workbench): the sudo profile runs without a seccomp profile; set pod_security_context.seccompProfile.type: RuntimeDefault",
    ]);
  });

  it("fails a sudo profile that adds a baseline capability it does not need, or runs another seccomp profile", () => {
    assertHasViolation(
      policy,
      withProfiles(sudoProfile("s", { container_security_context: { capabilities: { drop: ["ALL"], add: ["SETUID", "SETGID", "MKNOD"] } } })),
      "(s): the sudo profile adds MKNOD, beyond what sudo needs",
    );
    assertHasViolation(
      policy,
      withProfiles(sudoProfile("s", { pod_security_context: { seccompProfile: { type: "Localhost", localhostProfile: "x.json" } } })),
      "(s): the sudo profile runs seccomp Localhost; set pod_security_context.seccompProfile.type: RuntimeDefault",
    );
  });

  it("reads the notebook's security context as KubeSpawner builds it: extra_container_config's replaces the rest", () => {
    const replaced = sudoProfile("s", { extra_container_config: { securityContext: { runAsUser: 0 } } });
    assertHasViolation(policy, withProfiles(replaced), "(s): the sudo profile keeps the runtime's default capabilities");
    const container = sudoProfile("s", { pod_security_context: {}, container_security_context: { ...SUDO_SECURITY.container_security_context, seccompProfile: { type: "RuntimeDefault" } } });
    assertNoViolation(policy, withProfiles(container));
  });

  it("passes the sudo profile components/hub builds, whose capabilities all lie in Pod Security baseline", () => {
    const built = buildProfile({
      slug: "workbench",
      displayName: "Workbench",
      description: "",
      image: "quay.io/jupyter/scipy-notebook:2025-10-06",
      cpu: { limit: "2" },
      memory: { limit: "4G" },
      gpus: 0,
      tolerations: [],
      nodeSelector: {},
      default: false,
      sudo: true,
      allowedGroups: [],
      enabled: true,
    } as Parameters<typeof buildProfile>[0]);
    assertNoViolation(policy, withProfiles(built as unknown as Json));
    for (const name of SUDO_CAPABILITIES) expect(PSA_BASELINE_CAPABILITIES).toContain(name);
  });
});

describe("the chart's own block-cloud-metadata init container (privileged)", () => {
  it("fails blockWithIptables left on for servers that keep the chart-wide init containers", () => {
    const on = (profileList: Json[]) => releaseArgs(values({ cloudMetadata: undefined, profileList }));
    expect(violationsOf(policy, on([profile("minimal"), sudoProfile("workbench")]))).toEqual([
      "singleuser.cloudMetadata.blockWithIptables is not false, so the chart adds its privileged block-cloud-metadata init container to singleuser.profileList[0] (minimal), singleuser.profileList[1] (workbench); " +
        "set it to false (the servers' NetworkPolicy keeps the cloud metadata address closed): Pod Security baseline refuses privileged containers",
    ]);
    assertHasViolation(policy, releaseArgs(values({ cloudMetadata: { blockWithIptables: true }, profileList: [] , cpu: { limit: 1 }, memory: { limit: "1G" } })), "init container to the default server");
  });

  it("fails it off when the servers' NetworkPolicy no longer closes the metadata address instead", () => {
    const off = { blockWithIptables: false };
    for (const networkPolicy of [{ enabled: false }, { egressAllowRules: { cloudMetadataServer: true } }]) {
      assertHasViolation(policy, releaseArgs(values({ cloudMetadata: off, networkPolicy })), "does not close the cloud metadata address");
    }
  });

  it("passes it off, or on where every profile sets its own init containers (KubeSpawner replaces the list)", () => {
    assertNoViolation(policy, releaseArgs(values({ cloudMetadata: { blockWithIptables: false } })));
    const own = [{ name: "ok", image: "busybox:1", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }];
    assertNoViolation(policy, releaseArgs(values({ cloudMetadata: undefined, profileList: [profile("a", { init_containers: own }), sudoProfile("b", { init_containers: [] })] })));
  });
});
