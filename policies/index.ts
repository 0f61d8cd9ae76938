// The pack's entry point for the Pulumi CLI: `pulumi preview --policy-pack policies`.
// Constructing a PolicyPack starts the analyzer's gRPC server, so this is the one file that
// does, and nothing imports it: render and the tests use allPolicies.ts and evaluate.ts.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./allPolicies";

new PolicyPack("jupyterhub", {
  description: "Rules that keep a jupyterhub-pulumi stack safe; see policies/README.md.",
  policies: allPolicies,
});
