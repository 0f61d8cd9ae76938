// The release's values with the built images' references as the only values that wait for the
// image builds. Building the whole object in one apply over the image digests would make every
// value unknown in a preview, so `pulumi preview --diff` would show no chart value at all and the
// policies that read values would have nothing to read. Instead the values are built once with a
// placeholder reference per image folder, and each leaf holding one is replaced by an Output.
import * as pulumi from "@pulumi/pulumi";
import { chartImage, formatImageReference, parseImageReference } from "../../settings/imageReference";
import type { BuiltImages } from "../images/imageBuild";
import type { ChartValues } from "./hubValues";

const PLACEHOLDER_REGISTRY = "placeholder.invalid";

/** A valid image reference per folder, unique, in a registry that cannot exist. */
export function placeholderImages(folders: readonly string[]): BuiltImages {
  return Object.fromEntries(folders.map((folder) => [folder, `${PLACEHOLDER_REGISTRY}/built-${folder}:pending-${folder}`]));
}

/** Each form a reference takes in the values (whole, or the chart's name and tag), by placeholder text. */
function forms(placeholder: string): [string, (reference: string) => string][] {
  const parse = (reference: string) => parseImageReference(reference)!;
  const chart = chartImage(parse(placeholder));
  return [
    [formatImageReference(parse(placeholder)), (reference) => formatImageReference(parse(reference))],
    [chart.name, (reference) => chartImage(parse(reference)).name],
    [chart.tag, (reference) => chartImage(parse(reference)).tag],
  ];
}

/**
 * `values`, built with `placeholders`, with every placeholder leaf replaced by the matching part
 * of the pushed reference in `built` (an Output: known after the build, unknown in a preview).
 */
export function withBuiltImages(values: ChartValues, placeholders: BuiltImages, built: pulumi.Input<BuiltImages>): pulumi.Input<ChartValues> {
  const replacements = new Map<string, (images: BuiltImages) => string>();
  for (const [folder, placeholder] of Object.entries(placeholders)) {
    for (const [text, part] of forms(placeholder)) replacements.set(text, (images) => part(images[folder]));
  }
  const images = pulumi.output(built);
  const visit = (value: unknown): unknown => {
    if (typeof value === "string") {
      const replace = replacements.get(value);
      if (replace) return images.apply(replace);
      if (value.includes(PLACEHOLDER_REGISTRY) || value.includes(":pending-")) {
        throw new Error(`a built image's placeholder reached the chart values in an unexpected form: ${value}`);
      }
      return value;
    }
    if (Array.isArray(value)) return value.map(visit);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, visit(child)]));
    return value;
  };
  return visit(values) as pulumi.Input<ChartValues>;
}
