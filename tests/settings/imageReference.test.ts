import { chartImage, formatImageReference, parseImageReference, unpinnedReason } from "../../settings/imageReference";

const DIGEST = "sha256:" + "ab".repeat(32);

describe("parseImageReference", () => {
  it("splits registry/repository, tag and digest", () => {
    expect(parseImageReference("quay.io/jupyter/scipy-notebook:2025-10-06")).toEqual({
      name: "quay.io/jupyter/scipy-notebook",
      tag: "2025-10-06",
      digest: undefined,
    });
    expect(parseImageReference(`ghcr.io/me/base:abc@${DIGEST}`)).toEqual({ name: "ghcr.io/me/base", tag: "abc", digest: DIGEST });
    expect(parseImageReference("registry.local:5000/team/img:v1")?.name).toBe("registry.local:5000/team/img");
  });

  it.each(["", "Quay.io/Upper:1", "repo:tag with space", "repo@sha256:short", "https://quay.io/x:1"])("rejects %j", (text) =>
    expect(parseImageReference(text)).toBeUndefined(),
  );
});

describe("pinning", () => {
  it("accepts a tag, or a tag with a digest", () => {
    expect(unpinnedReason(parseImageReference("quay.io/jupyter/base-notebook:2025-10-06")!)).toBeUndefined();
    expect(unpinnedReason(parseImageReference(`quay.io/jupyter/base-notebook:x@${DIGEST}`)!)).toBeUndefined();
  });

  it("rejects latest and references without a tag", () => {
    expect(unpinnedReason(parseImageReference("quay.io/jupyter/base-notebook:latest")!)).toMatch(/latest/);
    expect(unpinnedReason(parseImageReference("quay.io/jupyter/base-notebook")!)).toMatch(/no tag/);
    expect(unpinnedReason(parseImageReference(`quay.io/jupyter/base-notebook@${DIGEST}`)!)).toMatch(/no tag/);
  });
});

describe("chartImage", () => {
  it("carries a digest inside the chart's tag so name:tag stays a valid reference", () => {
    const reference = parseImageReference(`ghcr.io/me/base:abc@${DIGEST}`)!;
    expect(chartImage(reference)).toEqual({ name: "ghcr.io/me/base", tag: `abc@${DIGEST}` });
    expect(formatImageReference(reference)).toBe(`ghcr.io/me/base:abc@${DIGEST}`);
  });
});
