// npm run bench:suite's arithmetic: the CPU-seconds it reads from /proc/stat and the verdict it
// prints against issue #17's targets (the runs themselves take minutes: the script is run by hand).
import { cpuTimes, suiteVerdict, TARGETS } from "../../scripts/bench/suiteTime";

it("counts user, nice, system, irq and softirq as busy, not idle, iowait or steal, and system, irq and softirq as the kernel's", () => {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (proc(5)), in USER_HZ
  const stat = "cpu  1000 200 300 9000 400 50 25 700 0 0\ncpu0 500 100 150 4500 200 25 12 350 0 0\n";
  expect(cpuTimes(stat)).toEqual({ busy: 15.75, kernel: 3.75 });
  expect(() => cpuTimes("intr 1 2 3\n")).toThrow(/first line is not the cpu totals/);
});

it("holds the fresh run to 2 minutes and the cached run to 90 s, and a failed run fails whatever its time", () => {
  expect(TARGETS).toEqual({ freshSeconds: 120, cachedSeconds: 90 });
  const within = suiteVerdict([
    { name: "fresh", ok: true, seconds: 119.6, cpuSeconds: 231.4, kernelCpuSeconds: 74.6 },
    { name: "cached", ok: true, seconds: 88 },
  ]);
  expect(within).toEqual({
    ok: true,
    lines: ["npm test, fresh: 119.6 s, 231 CPU-s, 75 of them the kernel's (within the target of 120 s)", "npm test, cached: 88.0 s (within the target of 90 s)"],
  });
  const missed = suiteVerdict([
    { name: "fresh", ok: true, seconds: 100 },
    { name: "cached", ok: true, seconds: 90.4 },
  ]);
  expect(missed.ok).toBe(false);
  expect(missed.lines[1]).toBe("npm test, cached: 90.4 s (MISSED the target of 90 s)");
  const failed = suiteVerdict([{ name: "cached", ok: false, seconds: 10 }]);
  expect(failed).toEqual({ ok: false, lines: ["npm test, cached: 10.0 s (FAILED)"] });
});
