import * as docker from "@pulumi/docker";
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
   *  provider where `pulumi up` runs (and, encrypted, into the stack's state), never into the cluster. */
  readonly username: pulumi.Input<string>;
  readonly token: pulumi.Input<string>;
}

/**
 * Builds and pushes images/<folder> for each folder, tagged by the hash of its build context (an
 * unchanged folder is not rebuilt), and gives each as repository:tag@sha256:<digest> so profiles
 * pin exactly what was pushed. Images built on the base get the base's digest as BASE_IMAGE.
 */
export class KernelImages extends pulumi.ComponentResource {
  public readonly references: pulumi.Output<BuiltImages>;

  constructor(name: string, args: KernelImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:images:KernelImages", name, {}, opts);
    const imagesDir = IMAGES_DIR;
    const registry = { server: args.images.registry, username: args.username, password: args.token };
    const hashes = Object.fromEntries(args.folders.map((folder) => [folder, contextHash(path.join(imagesDir, folder))]));
    const references: Record<string, pulumi.Output<string>> = {};

    for (const folder of args.folders) {
      const context = path.join(imagesDir, folder);
      const onBase = folder !== BASE_FOLDER && usesBaseImage(fs.readFileSync(path.join(context, "Dockerfile"), "utf8"));
      const imageName = `${imageRepository(args.images, folder)}:${imageTag(hashes[folder], onBase ? hashes[BASE_FOLDER] : undefined)}`;
      const image = new docker.Image(
        `${name}-${folder}`,
        {
          imageName,
          build: {
            // Relative to the project, where the Pulumi CLI runs the program: an absolute path
            // would differ per checkout and show up as a change in every preview.
            context: path.posix.join("images", folder),
            platform: args.images.platform,
            ...(onBase ? { args: { BASE_IMAGE: references[BASE_FOLDER] } } : {}),
          },
          registry,
        },
        { parent: this },
      );
      references[folder] = image.repoDigest.apply((digest) => pinnedReference(imageName, digest));
    }

    this.references = pulumi.output(references);
    this.registerOutputs({ references: this.references });
  }
}
