// Cross-checks of the SSH gateway's settings: SSH settings that could never work are refused.
import type { CrossCheckProblem } from "./crossChecks";
import { pinnedNames } from "./publishedImages";
import { publishedImages } from "./publishedImagesFile";
import type { Settings } from "./schema";

type Sections = Partial<Settings>;

export function hasSshKeys(user: Settings["users"][number]): boolean {
  return (user.ssh?.publicKeys.length ?? 0) + (user.ssh?.onePasswordKeys.length ?? 0) > 0;
}

/**
 * Whether a profile's servers run sshd. The deployment brings the start hooks and sshd's config
 * (components/ssh/serverSshd.ts), but not sshd itself: images built from images/ have it, and so do
 * the ones this project publishes from there ({ published }); another image only its profile can
 * say has.
 */
export function profileRunsSshd(profile: Settings["profiles"][number]): boolean {
  return profile.sshd ?? typeof profile.image !== "string";
}

// Images known to have no sshd: the Jupyter Docker Stacks (quay.io/jupyter, and their old Docker
// Hub home jupyter/; only minimal-notebook and its descendants install openssh-client, none the
// server: docker-stacks images/*/Dockerfile) and JupyterHub's own singleuser images, which have no
// start.sh to run the hooks either. The deployment's hooks need sshd in the image; an image FROM a
// Docker Stacks one that adds openssh-server (images/base does) has it.
const IMAGES_WITHOUT_SSHD = /^(quay\.io\/jupyter\/|(docker\.io\/)?jupyter\/|(docker\.io\/|quay\.io\/)?jupyterhub\/(singleuser|k8s-singleuser-sample))/;

/** The published image to offer, while one has a release pinned; an unpinned one would be refused in turn. */
function publishedImageOption(): string | undefined {
  const [name] = pinnedNames(publishedImages());
  return name && `the image this project publishes (image: { published: ${name} })`;
}

/** An option of a message's list, followed by the next: nothing when there is none. */
function optionThen(option: string | undefined, lead = ""): string {
  return option ? `${lead}${option}, ` : "";
}

export function checkSshdImages({ profiles }: Sections): CrossCheckProblem[] {
  if (!profiles) return [];
  return profiles.flatMap((profile, index) =>
    profile.sshd && typeof profile.image === "string" && IMAGES_WITHOUT_SSHD.test(profile.image)
      ? [
          {
            path: ["profiles", index, "sshd"],
            message: `${profile.image.split(/[:@]/)[0]} has no sshd (it is a Jupyter Docker Stacks or JupyterHub image), so SSH to its servers would fail: the deployment brings sshd's start hooks and config, not sshd itself. Use ${optionThen(publishedImageOption())}an image FROM a Docker Stacks one that adds openssh-server (images/README.md, "SSH on an image you did not build"), build the profile from images/ (image: { build: <folder> }), or remove sshd: true`,
          },
        ]
      : [],
  );
}

export function checkSshGateway({ users, ssh, profiles, hub }: Sections): CrossCheckProblem[] {
  const problems: CrossCheckProblem[] = [];
  if (ssh) {
    if (ssh.service.type !== "LoadBalancer" && ssh.service.loadBalancerIP) {
      problems.push({ path: ["ssh", "service", "loadBalancerIP"], message: "applies to type LoadBalancer only" });
    }
    if (ssh.service.type !== "NodePort" && ssh.service.nodePort !== undefined) {
      problems.push({ path: ["ssh", "service", "nodePort"], message: "applies to type NodePort only" });
    }
    if (hub && ssh.host && ssh.host === hub.host) {
      problems.push({ path: ["ssh", "host"], message: `is hub.host as well; the gateway needs a name of its own (e.g. ssh.${hub.host.split(".").slice(1).join(".") || hub.host})` });
    }
    if (hub?.service.loadBalancerIP && ssh.service.loadBalancerIP === hub.service.loadBalancerIP) {
      problems.push({ path: ["ssh", "service", "loadBalancerIP"], message: `is hub.service.loadBalancerIP as well; a LoadBalancer address serves one Service` });
    }
  }
  if (!users) return problems;
  const sshUsers = users.map((user, index) => ({ user, index })).filter(({ user }) => hasSshKeys(user));
  for (const { user, index } of sshUsers) {
    // `<user>+<server>@host` names a named server; a '+' in the username would be ambiguous.
    if (user.name.includes("+")) {
      problems.push({ path: ["users", index, "name"], message: `'${user.name}' has SSH keys, and SSH reads '+' as the start of a server name; rename the user or drop the keys` });
    }
  }
  if (sshUsers.length > 0 && profiles && !profiles.some((p) => p.enabled && profileRunsSshd(p))) {
    problems.push({
      path: ["profiles"],
      message: `users have SSH keys, but no enabled profile runs sshd: ${optionThen(publishedImageOption(), "give a profile ")}mark a profile whose image has sshd (openssh-server) with sshd: true, or build one from images/ (image: { build: ... })`,
    });
  }
  return problems;
}
