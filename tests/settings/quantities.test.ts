import { parseBytes, parseCpu, parseDuration } from "../../settings/quantities";

describe("parseCpu", () => {
  it.each([
    ["500m", 0.5],
    ["2", 2],
    ["1.5", 1.5],
    ["100m", 0.1],
    [".5", 0.5],
  ])("reads %s as %d cores", (quantity, cores) => expect(parseCpu(quantity)).toBe(cores));

  it.each(["", "1 core", "2Gi", "-1", "1e3", "m"])("rejects %j", (quantity) => expect(parseCpu(quantity)).toBeUndefined());
});

describe("parseBytes", () => {
  it.each([
    ["1Gi", 2 ** 30],
    ["512Mi", 512 * 2 ** 20],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["4G", 4e9],
    ["100k", 1e5],
    ["1073741824", 1073741824],
  ])("reads %s as %d bytes", (quantity, bytes) => expect(parseBytes(quantity)).toBe(bytes));

  it.each(["", "1GB", "1gi", "lots", "-1Gi", "1 Gi"])("rejects %j", (quantity) => expect(parseBytes(quantity)).toBeUndefined());
});

describe("parseDuration", () => {
  it.each<[number | string, number]>([
    [3600, 3600],
    ["3600", 3600],
    ["90s", 90],
    ["15m", 900],
    ["8h", 28800],
    ["1d", 86400],
    ["1h30m", 5400],
    [0, 0],
  ])("reads %j as %d seconds", (value, seconds) => expect(parseDuration(value)).toBe(seconds));

  it.each<number | string>(["1 hour", "1.5h", "h", "", -5, 1.5, "10x"])("rejects %j", (value) =>
    expect(parseDuration(value)).toBeUndefined(),
  );
});
