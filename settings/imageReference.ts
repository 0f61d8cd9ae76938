// Container image references, split the way the chart wants them (singleuser.image.name/tag)
// and checked for pinning: a profile image must never float.

export interface ImageReference {
  /** Registry and repository, e.g. "quay.io/jupyter/scipy-notebook". */
  readonly name: string;
  /** Tag, e.g. "2025-03-14"; undefined when the reference has none. */
  readonly tag?: string;
  /** Digest, e.g. "sha256:…"; undefined when the reference has none. */
  readonly digest?: string;
}

const REFERENCE_PATTERN =
  /^((?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** Parses "registry/repo:tag@sha256:…"; undefined when the text is not an image reference. */
export function parseImageReference(reference: string): ImageReference | undefined {
  const match = REFERENCE_PATTERN.exec(reference);
  if (!match) return undefined;
  const [, name, tag, digest] = match;
  return { name, tag, digest };
}

/**
 * Why a reference is not pinned, or undefined when it is. The chart's image pre-puller and
 * `singleuser.image` need a tag, so a digest alone is not enough; `latest` floats.
 */
export function unpinnedReason(reference: ImageReference): string | undefined {
  if (!reference.tag) return "has no tag; pin it as repository:tag or repository:tag@sha256:<digest>";
  if (reference.tag === "latest") return "uses the floating tag 'latest'; pin an explicit tag or digest";
  return undefined;
}

/** The chart's `{ name, tag }` for an image; a digest rides along in the tag ("tag@sha256:…"). */
export function chartImage(reference: ImageReference): { name: string; tag: string } {
  const tag = reference.digest ? `${reference.tag}@${reference.digest}` : reference.tag;
  return { name: reference.name, tag: tag ?? "" };
}

export function formatImageReference(reference: ImageReference): string {
  const { name, tag } = chartImage(reference);
  return `${name}:${tag}`;
}
