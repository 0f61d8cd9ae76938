// Kubernetes quantities and human durations, parsed once so that validation and the chart
// values agree on what "2Gi" or "500m" means.

const CPU_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)(m)?$/;

/** CPU quantity ("500m", "2", "1.5") in cores, or undefined when it is not one. */
export function parseCpu(quantity: string): number | undefined {
  const match = CPU_PATTERN.exec(quantity);
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2] ? value / 1000 : value;
}

const BYTE_SUFFIXES: Readonly<Record<string, number>> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
};
const BYTES_PATTERN = /^(\d+(?:\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/;

/**
 * Byte quantity ("512Mi", "4G", "1073741824") in whole bytes, or undefined when it is not one.
 * KubeSpawner reads "4G" as 4 GiB (its suffixes are binary), so the chart gets integers only.
 */
export function parseBytes(quantity: string): number | undefined {
  const match = BYTES_PATTERN.exec(quantity);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * BYTE_SUFFIXES[match[2] ?? ""]);
}

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION_PATTERN = /^(?:\d+[smhd])+$/;

/** A duration in whole seconds: a number of seconds, or "90s", "15m", "8h", "1d", "1h30m". */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (/^\d+$/.test(value)) return Number(value);
  if (!DURATION_PATTERN.test(value)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+)([smhd])/g)) {
    seconds += Number(amount) * DURATION_UNITS[unit];
  }
  return seconds;
}
