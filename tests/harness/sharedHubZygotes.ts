// The hub zygotes `npm test` shares among its parts (runTests.ts): one per chart version and way
// of running (zygoteKey), listening on a Unix socket in a private directory
// (`hub_zygote.py --listen`), named to the parts in one environment variable (SHARED_ZYGOTES).
// Each HubZygote of the Python tests and of every jest file of the real-hub tier then connects to
// it instead of starting a zygote of its own: the hub's packages are imported once per chart
// version for the whole run (~3.2 CPU-s each), not once per Python run and per jest file.
//
// A zygote ends when its stdin closes: at close(), or when npm test's process ends however it
// ends; on SIGINT, SIGTERM or SIGHUP at once, with the directory. Children still running 10 s
// after close() (no client is left to end them) are ended with their zygote (SIGTERM, which a
// listening zygote passes on to them as SIGKILL), so that npm test never waits on them for ever. Its
// output is kept and printed only when it did not end cleanly.
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline";
import { chartHubPython } from "./chartHubPython";
import { SHARED_ZYGOTES, ZYGOTE, zygoteKey } from "./hubZygote";
import { PROJECT_ROOT } from "./stackConfig";

export interface SharedZygoteSpec {
  readonly version: string;
  readonly prefix: readonly string[];
}

export interface SharedZygotes {
  /** What the parts' environment gets: SHARED_ZYGOTES, naming the zygotes that listen. */
  readonly env: Record<string, string>;
  /** Ends the zygotes (each once its children have) and removes their directory. */
  close(): Promise<void>;
  /** At once: kills the zygotes, removes their directory (what a signal that ends this process does). */
  kill(): void;
}

const ENDING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** How long close() lets the zygotes' children end by themselves once every part has ended. */
const CLOSE_GRACE_MS = 10_000;

interface Started {
  readonly key: string;
  readonly socket: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly output: Buffer[];
  /** Resolves once it listens, false when it ended before. */
  readonly listening: Promise<boolean>;
  readonly closed: Promise<number | string | null>;
}

function start(spec: SharedZygoteSpec, dir: string, index: number, log: (line: string) => void): Started {
  const key = zygoteKey(spec.version, spec.prefix);
  const socket = path.join(dir, `${index}.sock`);
  const { python, env } = chartHubPython(spec.version);
  const [command, ...args] = [...spec.prefix, python, ZYGOTE, "--listen", socket];
  const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  const output: Buffer[] = [];
  child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
  child.stdin.on("error", () => undefined);
  const closed = new Promise<number | string | null>((resolve) => {
    child.on("error", (error) => (output.push(Buffer.from(`could not start ${command}: ${error.message}\n`)), resolve("error")));
    child.on("close", (status, signal) => resolve(status ?? signal));
  });
  const listening = new Promise<boolean>((resolve) => {
    readline.createInterface({ input: child.stdout }).on("error", () => undefined).on("line", (line) => {
      if (!line.trim()) return;
      const reply = JSON.parse(line) as { listening?: string; ready?: boolean; cpu?: number };
      if (reply.listening) resolve(true);
      if (reply.ready) log(`hub zygote ${key}: the hub's Python imported once for every part, ${(reply.cpu ?? 0).toFixed(1)} s CPU`);
    });
    void closed.then(() => resolve(false));
  });
  return { key, socket, child, output, listening, closed };
}

/**
 * Starts a zygote per spec and resolves once each listens (before its preload, which the parts'
 * start overlaps); one that cannot even listen is left out (its clients start their own, and
 * fail there with its error if it is theirs too).
 */
export async function startSharedZygotes(specs: readonly SharedZygoteSpec[], log: (line: string) => void): Promise<SharedZygotes> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hub-zygotes-"));
  const unique = [...new Map(specs.map((s) => [zygoteKey(s.version, s.prefix), s])).values()];
  const started = unique.map((spec, index) => start(spec, dir, index, log));
  // SIGTERM: a listening zygote kills its children, then ends.
  const kill = () => {
    for (const zygote of started) zygote.child.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Ctrl-C or a kill ends this process, and the zygotes with their directory now (a zygote also
  // ends when its stdin closes, but only once its children have, and leaves the directory).
  const onSignal = (signal: NodeJS.Signals) => {
    kill();
    process.kill(process.pid, signal);
  };
  for (const signal of ENDING_SIGNALS) process.once(signal, onSignal);
  const sockets: Record<string, string> = {};
  for (const zygote of started) if (await zygote.listening) sockets[zygote.key] = zygote.socket;
  const report = (zygote: Started, ended: number | string | null) => {
    if (ended !== 0) log(`── hub zygote ${zygote.key} ended with ${ended} ──\n${Buffer.concat(zygote.output).toString("utf8").trim()}`);
  };
  return {
    env: { [SHARED_ZYGOTES]: JSON.stringify(sockets) },
    async close() {
      for (const zygote of started) zygote.child.stdin.end();
      // Every part has ended, so a child still running has no client left to end it (a jest
      // worker that crashed or was force-exited took its run's timer with it): after a grace,
      // the zygote ends it, so that npm test does not wait on it for ever.
      const grace = setTimeout(() => {
        for (const zygote of started) {
          if (zygote.child.exitCode !== null || zygote.child.signalCode !== null) continue;
          log(`hub zygote ${zygote.key}: children still running ${CLOSE_GRACE_MS / 1000} s after every part ended: ended`);
          zygote.child.kill("SIGTERM");
        }
      }, CLOSE_GRACE_MS);
      const ended = await Promise.all(started.map((z) => z.closed));
      clearTimeout(grace);
      started.forEach((zygote, i) => report(zygote, ended[i]));
      fs.rmSync(dir, { recursive: true, force: true });
      for (const signal of ENDING_SIGNALS) process.removeListener(signal, onSignal);
    },
    kill,
  };
}
