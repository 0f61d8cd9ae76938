// Loopback stand-ins for the two registries the test tiers fetch from, answering as upstream does,
// so the fetch path is tested without the network:
// - a Helm chart repository: GET index.yaml (apiVersion v1, entries.<name>[] with version, digest =
//   the archive's sha256, urls), then GET of the archive (helm pkg/repo/v1/index.go, chartrepo.go;
//   the JupyterHub repository lists absolute URLs, helm resolves relative ones against the repo);
// - a PEP 503 "simple" package index: GET /simple/<normalized name>/ answers an HTML page of
//   <a href="…#sha256=<hex>"> links, one per file, which pip follows and checks against the hash
//   (pip _internal/index/collector.py parse_links, models/link.py; unknown projects are a 404).
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import * as jsYaml from "js-yaml";

export interface LoopbackServer {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

async function listen(handler: (request: http.IncomingMessage, response: http.ServerResponse) => void): Promise<LoopbackServer> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(request.url ?? "");
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function notFound(response: http.ServerResponse): void {
  response.writeHead(404, { "Content-Type": "text/plain" });
  response.end("Not Found");
}

export const sha256 = (bytes: Buffer): string => crypto.createHash("sha256").update(bytes).digest("hex");

export interface ChartRepositoryOptions {
  /** jupyterhub archives by version. */
  readonly archives: Readonly<Record<string, Buffer>>;
  /** The digest index.yaml lists per version; the archive's own sha256 by default. */
  readonly digests?: Readonly<Record<string, string>>;
  /** List absolute URLs under /charts/ (as the JupyterHub repository does) instead of relative ones. */
  readonly absoluteUrls?: boolean;
}

export async function serveChartRepository(options: ChartRepositoryOptions): Promise<LoopbackServer> {
  let base = "";
  const server = await listen((request, response) => {
    const url = request.url ?? "";
    if (url === "/index.yaml") {
      const entries = Object.entries(options.archives).map(([version, archive]) => ({
        apiVersion: "v2",
        name: "jupyterhub",
        version,
        digest: options.digests?.[version] ?? sha256(archive),
        urls: [options.absoluteUrls ? `${base}/charts/jupyterhub-${version}.tgz` : `jupyterhub-${version}.tgz`],
      }));
      response.writeHead(200, { "Content-Type": "application/x-yaml" });
      response.end(jsYaml.dump({ apiVersion: "v1", entries: { jupyterhub: entries } }));
      return;
    }
    const match = /^\/(?:charts\/)?jupyterhub-(.+)\.tgz$/.exec(url);
    const archive = match ? options.archives[match[1]] : undefined;
    if (!archive) return notFound(response);
    response.writeHead(200, { "Content-Type": "application/gzip" });
    response.end(archive);
  });
  base = server.url;
  return server;
}

/** PEP 503's normalized project name. */
export const normalizeName = (name: string): string => name.replace(/[-_.]+/g, "-").toLowerCase();

export interface SimpleIndexOptions {
  /** Files to serve with other bytes than the ones their #sha256= link names (a tampered mirror). */
  readonly tampered?: ReadonlySet<string>;
}

/** A PEP 503 index at <url>/simple/ over the wheels of a directory. */
export async function serveSimpleIndex(wheelsDir: string, options: SimpleIndexOptions = {}): Promise<LoopbackServer> {
  const files = fs.readdirSync(wheelsDir).filter((f) => f.endsWith(".whl"));
  // A wheel's file name starts with its distribution name, escaped (PEP 427: '-' becomes '_').
  const projects = new Map<string, string[]>();
  for (const file of files) {
    const project = normalizeName(file.split("-")[0]);
    projects.set(project, [...(projects.get(project) ?? []), file]);
  }
  return listen((request, response) => {
    const url = request.url ?? "";
    const project = /^\/simple\/([^/]+)\/$/.exec(url)?.[1];
    if (project !== undefined) {
      const found = projects.get(project);
      if (!found) return notFound(response);
      const links = found.map((file) => `<a href="/files/${file}#sha256=${sha256(fs.readFileSync(path.join(wheelsDir, file)))}">${file}</a><br/>`);
      response.writeHead(200, { "Content-Type": "text/html" });
      response.end(`<!DOCTYPE html><html><body>\n${links.join("\n")}\n</body></html>`);
      return;
    }
    const file = /^\/files\/([^/]+)$/.exec(url)?.[1];
    if (!file || !files.includes(file)) return notFound(response);
    const bytes = fs.readFileSync(path.join(wheelsDir, file));
    response.writeHead(200, { "Content-Type": "application/octet-stream" });
    response.end(options.tampered?.has(file) ? Buffer.concat([bytes, Buffer.from("tampered")]) : bytes);
  });
}

/**
 * A loopback URL nothing listens on, and nothing will while a test uses it: a privileged port found
 * refusing connections. A port the OS gave for a listen and took back did not stay closed: it is
 * in the range the OS hands out to every other listen on port 0 (a fake API, a hub, a proxy, in a
 * file beside it), and once a cached npm test's pip found a server answering on the port a moment
 * after the file had closed it (the line then said "pip download … failed", not "cannot reach").
 * No port below 1024 is ever handed out, and only a privileged process can listen on one. Not 9 or
 * 1: fetch refuses those itself ("bad port", the Fetch standard's port blocking).
 */
export async function closedLoopbackUrl(): Promise<string> {
  for (const port of [4, 6, 8, 10, 12, 14, 16, 18]) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
    });
    if (refused) return `http://127.0.0.1:${port}`;
  }
  throw new Error("every candidate privileged loopback port (4, 6, 8, …) accepts connections: nothing here refuses one");
}
