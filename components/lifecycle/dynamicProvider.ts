// A dynamic provider written as a file (providers/*.cjs), rather than a closure Pulumi serializes.
// The nodejs dynamic provider host loads the resource's `__provider` input as a CommonJS module
// and calls its `handler()` for the provider (@pulumi/pulumi cmd/dynamic-provider, getProvider);
// pulumi.dynamic.Resource fills that input by serializing a closure through the V8 inspector,
// which gives machine- and Node-version-dependent text and work that outlives a failed program
// under the test mocks. The file's own text is the same everywhere, reads as code in the state
// and in render's resources.json, and is tested by requiring it.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

export const PROVIDERS_DIR = path.join(__dirname, "providers");

export function providerSource(file: string): string {
  return fs.readFileSync(path.join(PROVIDERS_DIR, file), "utf8");
}

/** A resource of the `pulumi-nodejs` dynamic provider, type `pulumi-nodejs:dynamic/lifecycle:<type>`. */
export class LifecycleResource extends pulumi.CustomResource {
  constructor(type: string, name: string, providerFile: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(`pulumi-nodejs:dynamic/lifecycle:${type}`, name, { __provider: providerSource(providerFile), ...props }, opts);
  }
}
