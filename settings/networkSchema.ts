// Network values the servers' NetworkPolicy is built from: address ranges, and where a service the
// servers must reach lives. The chart's singleuser NetworkPolicy denies servers every private
// address (egressAllowRules.privateIPs: false), so each such destination is opened on its own.
import * as net from "net";
import { z } from "zod";
import { dnsLabel } from "./primitives";

/** A CIDR range, checked the way Kubernetes checks ipBlock.cidr (a real address, a prefix in range). */
export const cidr = z
  .string()
  .meta({ "x-type": "CIDR range" })
  .refine(isCidr, { error: "must be a CIDR range such as 192.168.0.0/16 or fd00::/8 (address/prefix length)" });

export function isCidr(text: string): boolean {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return false;
  const family = net.isIP(match[1]);
  const prefix = Number(match[2]);
  return (family === 4 && prefix <= 32) || (family === 6 && prefix <= 128);
}

const port = z.int().min(1).max(65535);
const labelValue = z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/, { error: "must be a Kubernetes label value" });

/**
 * Where a service lives, as NetworkPolicy can name it: address ranges outside the cluster, or pods
 * inside it (NetworkPolicy sees pod addresses and ports, never a Service's, so the port is the pod's).
 */
export const destinationSchema = z.union(
  [
    z
      .strictObject({
        cidrs: z.array(cidr).min(1).describe("Address ranges of the service, e.g. [192.168.50.10/32] for one LAN host."),
        port: port.optional().describe("TCP port. Default: the port of the service's URL."),
      })
      .describe("A service outside the cluster, by address."),
    z
      .strictObject({
        namespace: dnsLabel("a namespace").describe("Namespace of the service's pods."),
        podLabels: z.record(z.string(), labelValue).refine((labels) => Object.keys(labels).length > 0, { error: "name at least one label" }).describe("Labels that select the service's pods, e.g. { app.kubernetes.io/name: vault }."),
        port: port.optional().describe("The pods' TCP port (not the Service's). Default: the port of the service's URL."),
      })
      .describe("A service inside the cluster, by its pods."),
  ],
  { error: "must be { cidrs: [...] } for an address outside the cluster, or { namespace, podLabels } for pods inside it" },
);

export type Destination = z.output<typeof destinationSchema>;
