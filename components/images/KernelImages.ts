import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import type { ImagesSettings } from "../../settings/imagesSchema";
import * as fs from "fs";
import { BASE_FOLDER, contextHash, IMAGES_DIR, imageRepository, imageTag, pinnedReference, usesBaseImage, type BuiltImages } from "./imageBuild";

export interface KernelImagesArgs {
  readonly images: ImagesSettings;
  /** Folders of images/ to build, base first (foldersToBuild). */
  readonly folders: readonly string[];
  /** The push login (images.credentials, write access), read at deploy time. It goes to the Docker
   *  build provider where `pulumi up` runs (and, encrypted, into the stack's state), never into the cluster. */
  readonly username: pulumi.Input<string>;
  readonly token: pulumi.Input<string>;
}

/**
 * Builds and pushes images/<folder> for each folder with docker-build (BuildKit), tagged by the
 * hash of its build context, and gives each as repository:tag@sha256:<digest> so profiles pin
 * exactly what was pushed. Images built on the base get the base's pinned reference as BASE_IMAGE.
 */
export class KernelImages extends pulumi.ComponentResource {
  public readonly references: pulumi.Output<BuiltImages>;

  constructor(name: string, args: KernelImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:images:KernelImages", name, {}, opts);
    const hashes = Object.fromEntries(args.folders.map((folder) => [folder, contextHash(path.join(IMAGES_DIR, folder))]));
    const references: Record<string, pulumi.Output<string>> = {};

    for (const folder of args.folders) {
      const onBase = folder !== BASE_FOLDER && usesBaseImage(fs.readFileSync(path.join(IMAGES_DIR, folder, "Dockerfile"), "utf8"));
      const imageName = `${imageRepository(args.images, folder)}:${imageTag(hashes[folder], onBase ? hashes[BASE_FOLDER] : undefined)}`;
      const image = new dockerBuild.Image(
        `${name}-${folder}`,
        {
          tags: [imageName],
          // Relative to the project, where the Pulumi CLI runs the program: an absolute path
          // would differ per checkout and show up as a change in every preview.
          context: { location: path.posix.join("images", folder) },
          platforms: [args.images.platform as dockerBuild.Platform],
          ...(onBase ? { buildArgs: { BASE_IMAGE: references[BASE_FOLDER] } } : {}),
          push: true,
          // On (the default), the preview runner needs a Docker engine with BuildKit, and a broken
          // image fails the pull request's preview, not the deploy. Off, the provider returns
          // before the build in a preview (pulumi-docker-build provider/internal/image.go, Create).
          buildOnPreview: args.images.buildOnPreview,
          registries: [{ address: args.images.registry, username: args.username, password: args.token }],
        },
        // docker-build deletes a deleted Image's pushed manifests (pulumi-docker-build,
        // provider/internal/image.go, Delete). The tag is the content's hash, so another stack
        // building the same folder runs the very same manifest: destroy leaves the registry alone.
        { parent: this, retainOnDelete: true },
      );
      references[folder] = image.digest.apply((digest) => pinnedReference(imageName, digest));
    }

    this.references = pulumi.output(references);
    this.registerOutputs({ references: this.references });
  }
}
