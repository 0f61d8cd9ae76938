// The zygotes npm test shares (sharedHubZygotes.ts) and HubZygote's connection to one: several
// clients at once, each with its own children's exits, and a zygote of its own for a client that
// would run differently. Without the hub's preload (HUB_ZYGOTE_PRELOAD empty): this is about the
// sharing; tests/python/test_hub_zygote.py covers the children themselves.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NEWEST_CHART_VERSION } from "./chartHubPython";
import { HubZygote, SHARED_ZYGOTES } from "./hubZygote";
import { startSharedZygotes, type SharedZygotes } from "./sharedHubZygotes";

const saved = { preload: process.env.HUB_ZYGOTE_PRELOAD, shared: process.env[SHARED_ZYGOTES] };
let zygotes: SharedZygotes;
let scratch: string;
const lines: string[] = [];

beforeAll(async () => {
  process.env.HUB_ZYGOTE_PRELOAD = "";
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shared-zygotes-test-"));
  fs.writeFileSync(path.join(scratch, "exits.py"), "import sys, time\ntime.sleep(float(sys.argv[1]))\nsys.exit(int(sys.argv[2]))\n");
  zygotes = await startSharedZygotes([{ version: NEWEST_CHART_VERSION, prefix: [] }], (line) => lines.push(line));
  Object.assign(process.env, zygotes.env);
});

afterAll(async () => {
  await zygotes.close();
  fs.rmSync(scratch, { recursive: true, force: true });
  for (const [name, value] of [["HUB_ZYGOTE_PRELOAD", saved.preload], [SHARED_ZYGOTES, saved.shared]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const exits = (zygote: HubZygote, seconds: number, code: number) =>
  zygote.run({ argv: [path.join(scratch, "exits.py"), String(seconds), String(code)], stdout: path.join(scratch, `${code}.out`) });

it("connects clients of the same chart version and way of running to the shared zygote, each getting its own exits", async () => {
  const first = new HubZygote(NEWEST_CHART_VERSION);
  const second = new HubZygote(NEWEST_CHART_VERSION);
  expect([first.shared, second.shared]).toEqual([true, true]);
  // Both number their requests from 1: each exit must reach the client that asked.
  const statuses = await Promise.all([exits(first, 0.4, 3), exits(second, 0.1, 4), exits(first, 0.1, 5), exits(second, 0.4, 6)]);
  expect(statuses.map((s) => s.status)).toEqual([3, 4, 5, 6]);
  await first.close();
  expect((await exits(second, 0, 7)).status).toBe(7); // the other's close ended only its connection
  await second.close();
});

it("starts a zygote of its own for a client that runs under another prefix", async () => {
  const own = new HubZygote(NEWEST_CHART_VERSION, { prefix: ["env"] });
  expect(own.shared).toBe(false);
  expect((await exits(own, 0, 8)).status).toBe(8);
  await own.close();
});

it("says when the shared zygote is gone", async () => {
  const client = new HubZygote(NEWEST_CHART_VERSION);
  await client.ready;
  const running = exits(client, 2, 0);
  zygotes.kill();
  await expect(running).rejects.toThrow(/the hub zygote of chart .* that npm test shares/);
  // Ended by its SIGTERM (143), which close() reports with the zygote's output.
  await zygotes.close();
  expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^── hub zygote ${NEWEST_CHART_VERSION}.* ended with 143 ──`)));
});
