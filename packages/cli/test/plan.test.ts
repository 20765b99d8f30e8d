import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { parseLog } from "../src/plan/log.js";
import { ProgressBar } from "../src/plan/progress.js";
import { type Plan, plan, proportional } from "../src/plan/search.js";

// Logs whose smallest pool is known by hand, planned in this process and through the CLI process.

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
// The processes run in an empty directory, where `--import tsx` would not resolve: name tsx's loader.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const T0 = Date.UTC(2026, 2, 1);
const min = (m: number) => T0 + m * 60_000;

interface Row {
  start: number;
  end: number;
  city: string;
  a: string;
  b?: string;
  mode: string;
}

const csv = (rows: readonly Row[]) =>
  [
    "start,end,city,a,b,mode",
    ...rows.map((r) => `${r.start},${r.end},${r.city},${r.a},${r.b ?? ""},${r.mode}`),
  ].join("\n");

async function planOf(
  rows: readonly Row[],
  options: Partial<Parameters<typeof plan>[1]> = {},
): Promise<Plan> {
  const log = parseLog(csv(rows), { name: "test.csv", format: "csv" });
  const result = await plan(log, { serve: 100, area: "strict", extensions: 200, ...options });
  expect(result.confirmed).toBe(true);
  return result;
}

const xOf = (p: Plan, city: string) => p.cities.find((c) => c.city === city)!.x;

/** `n` orders open together from minute `from` for 30 minutes, users from the factories. */
function burst(n: number, from: number, row: (i: number) => Omit<Row, "start" | "end">): Row[] {
  return Array.from({ length: n }, (_, i) => ({ start: min(from), end: min(from + 30), ...row(i) }));
}

describe("bindpool plan", () => {
  it("rents one AX number per open order of distinct As", async () => {
    const rows = [
      ...burst(7, 0, (i) => ({ city: "0755", a: `courier-${i}`, mode: "AX" })),
      // Later and fewer at once: they reuse the numbers.
      ...burst(4, 60, (i) => ({ city: "0755", a: `courier-${i + 10}`, mode: "AX" })),
    ];
    const p = await planOf(rows);
    expect(p.cities).toEqual([
      expect.objectContaining({ mode: "AX", city: "0755", orders: 11, x: 7, served: 11, refused: 0 }),
    ]);
  });

  it("counts an AX A's sixth open order as unservable, whatever the pool", async () => {
    const p = await planOf(burst(6, 0, () => ({ city: "0755", a: "courier", mode: "AX" })));
    expect(p.cities[0]).toMatchObject({ x: 5, served: 5, unservable: 1, refused: 0 });
  });

  it("gives an AXB user as many numbers as the orders it has open at once", async () => {
    const rows = [
      ...burst(6, 0, (i) => ({ city: "010", a: `customer-${i}`, b: "courier", mode: "AXB" })),
      ...burst(3, 0, (i) => ({ city: "010", a: `customer-${i + 6}`, b: `courier-${i}`, mode: "AXB" })),
    ];
    const p = await planOf(rows);
    expect(p.cities[0]).toMatchObject({ x: 6, lowerBound: 6, peakPerUser: 6, peakConcurrent: 9 });
  });

  it("needs ceil(open pairs / 5000) AXB numbers for distinct users", async () => {
    const p = await planOf(burst(12_000, 0, (i) => ({ city: "021", a: `a${i}`, b: `b${i}`, mode: "AXB" })));
    expect(p.cities[0]).toMatchObject({ x: 3, lowerBound: 3, capacityPerX: 5000, served: 12_000 });
  });

  it("sizes AXE by extensions per X and by a customer's open orders", async () => {
    const distinct = burst(7, 0, (i) => ({ city: "020", a: `customer-${i}`, mode: "AXE" }));
    expect(xOf(await planOf(distinct, { extensions: 3 }), "020")).toBe(3);
    const repeat = burst(4, 0, () => ({ city: "020", a: "customer", mode: "AXE" }));
    const p = await planOf(repeat, { extensions: 3 });
    expect(p.cities[0]).toMatchObject({ x: 4, peakLoadPerX: 1 });
  });

  it("serves a chosen share of the orders with fewer numbers", async () => {
    // 1 000 orders one after another, and 4 more open beside the first: 5 open at the peak.
    const rows: Row[] = Array.from({ length: 1000 }, (_, i) => ({
      start: min(i * 10),
      end: min(i * 10 + 5),
      city: "0755",
      a: `a${i}`,
      mode: "AX",
    }));
    rows.push(...burst(4, 0, (i) => ({ city: "0755", a: `extra-${i}`, mode: "AX" })));
    expect(xOf(await planOf(rows), "0755")).toBe(5);
    // 99.9% of 1 004 lets 1 order go: 4 X.
    expect(await planOf(rows, { serve: 99.9 })).toMatchObject({ cities: [{ x: 4, refused: 1 }] });
    // 99.5% lets 5 go: one X, refusing the 4 beside the first.
    expect(await planOf(rows, { serve: 99.5 })).toMatchObject({ cities: [{ x: 1, refused: 4 }] });
  });

  it("frees an order's X at its end for an order starting then", async () => {
    const rows: Row[] = [
      { start: min(0), end: min(10), city: "0755", a: "a1", mode: "AX" },
      { start: min(10), end: min(20), city: "0755", a: "a2", mode: "AX" },
    ];
    expect(xOf(await planOf(rows), "0755")).toBe(1);
  });

  it("lets cities share numbers under the ladder", async () => {
    const rows = [
      ...burst(3, 0, (i) => ({ city: "0755", a: `a${i}`, mode: "AX" })),
      ...burst(3, 60, (i) => ({ city: "010", a: `b${i}`, mode: "AX" })),
    ];
    const strict = await planOf(rows);
    expect(strict.cities.map((c) => c.x)).toEqual([3, 3]);
    const ladder = await planOf(rows, { area: "ladder" });
    expect(ladder.cities.reduce((sum, c) => sum + c.x, 0)).toBe(3);
    expect(ladder.cities.every((c) => c.refused === 0)).toBe(true);
  });

  it("splits a ladder pool among cities in proportion to their own needs", () => {
    expect(proportional(16, [16, 16, 16, 16])).toEqual([4, 4, 4, 4]);
    expect(proportional(3, [3, 3])).toEqual([2, 1]);
    expect(proportional(5, [10, 0, 5])).toEqual([3, 0, 2]);
  });
});

describe("the progress bar", () => {
  it("draws on a terminal only, and clears its line at the end", () => {
    const written: string[] = [];
    const bar = new ProgressBar({ isTTY: true, write: (t: string) => written.push(t) });
    bar.update("AXB: trying 0755 16 X", 50, 100);
    bar.clear();
    expect(written[0]).toMatch(/\[#{12}-{12}\] {2}50% {2}AXB: trying 0755 16 X/);
    expect(written.at(-1)).toBe("\r\x1b[2K");
    const piped: string[] = [];
    const quiet = new ProgressBar({ isTTY: false, write: (t: string) => piped.push(t) });
    quiet.update("AXB", 50, 100);
    quiet.clear();
    expect(piped).toEqual([]);
  });
});

describe("order log parsing", () => {
  const parse = (text: string, format: "csv" | "jsonl") => () => parseLog(text, { name: "log", format });

  it("names each bad CSV line", () => {
    const text = [
      "start,end,city,a,b,mode",
      "2026-03-01T10:00:00Z,2026-03-01T10:30:00Z,0755,a1,b1,AXB",
      "yesterday,2026-03-01T10:30:00Z,0755,a1,b1,AXB",
      "2026-03-01T10:30:00Z,2026-03-01T10:00:00Z,0755,a1,b1,AXB",
      "2026-03-01T10:00:00Z,2026-03-01T10:30:00Z,0755,a1,,AXB",
      "2026-03-01T10:00:00,2026-03-01T10:30:00Z,0755,a1,b1,AXB",
      "2026-03-01T10:00:00Z,2026-03-01T10:30:00Z,0755,a1,b1,AXQ",
    ].join("\n");
    expect(parse(text, "csv")).toThrow(/log line 3: start must be an ISO 8601 time/);
    expect(parse(text, "csv")).toThrow(/log line 4: end is not after start/);
    expect(parse(text, "csv")).toThrow(/log line 5: no b/);
    expect(parse(text, "csv")).toThrow(/log line 6: start must be an ISO 8601 time with a zone/);
    expect(parse(text, "csv")).toThrow(/log line 7: mode takes AXB, AX or AXE, got "AXQ"/);
  });

  it("wants a CSV header naming the columns", () => {
    expect(parse("begin,end,city,a,b,mode\n1,2,c,a,b,AX", "csv")).toThrow(/log line 1: .*missing start/);
  });

  it("reads epoch milliseconds, zone offsets, columns in any order and a default mode", () => {
    const text =
      "city,a,end,start\n0755,a1,1772330400000,1772328600000\n0755,a2,2026-03-01T10:30:00+08:00,2026-03-01T10:00:00+08:00\n";
    const log = parseLog(text, { name: "log", format: "csv", defaultMode: "AX" });
    expect(log.count).toBe(2);
    expect(log.startMs[1]).toBe(Date.UTC(2026, 2, 1, 2));
    expect(log.groups).toEqual([{ mode: "AX", city: "0755" }]);
  });

  it("names each bad JSON line, counting blank lines", () => {
    const text = [
      '{"start":"2026-03-01T10:00:00Z","end":"2026-03-01T10:30:00Z","city":"0755","a":"a1","mode":"AX"}',
      "",
      "{not json",
      '{"start":1,"end":2,"city":"0755","a":"a1","b":"b1","mode":"AXB"}',
      '{"start":1,"end":2,"city":"0755","a":"a1","b":"a1","mode":"AXB"}',
      "[1,2]",
      '{"start":1,"end":2,"city":"0755","a":7,"mode":"AXE"}',
    ].join("\n");
    expect(parse(text, "jsonl")).toThrow(/log line 3: not JSON/);
    expect(parse(text, "jsonl")).toThrow(/log line 5: a and b are the same user/);
    expect(parse(text, "jsonl")).toThrow(/log line 6: each line must be a JSON object/);
    expect(parse(text, "jsonl")).not.toThrow(/line (1|4|7):/);
  });
});

function cli(
  args: string[],
  cwd: string,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=@bindpool/source", "--import", TSX, CLI, ...args], {
      cwd,
      env: { ...process.env, REDIS_URL: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.stdin.end(input ?? "");
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("bindpool plan, the process", () => {
  // No bindpool.json and no Redis here: plan needs neither.
  const dir = mkdtempSync(join(tmpdir(), "bindpool-plan-"));

  it("plans a small CSV file and prints JSON", async () => {
    const file = join(dir, "orders.csv");
    writeFileSync(
      file,
      csv([
        ...burst(3, 0, (i) => ({ city: "0755", a: `customer-${i}`, b: "courier", mode: "AXB" })),
        ...burst(2, 0, (i) => ({ city: "010", a: `a${i}`, mode: "AX" })),
      ]),
    );
    const { code, stdout, stderr } = await cli(["plan", file, "--json"], dir);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const out = JSON.parse(stdout) as Plan;
    expect(out.confirmed).toBe(true);
    expect(out.cities.map((c) => [c.mode, c.city, c.x])).toEqual([
      ["AX", "010", 2],
      ["AXB", "0755", 3],
    ]);
  });

  it("plans a generated log, read from stdin, as a table", async () => {
    const generated = await cli(["plan", "--generate", "300", "--days", "1", "--cities", "0755"], dir);
    expect(generated.code).toBe(0);
    expect(generated.stdout.split("\n")[0]).toBe("start,end,city,a,b,mode");
    const { code, stdout } = await cli(["plan", "-", "--serve", "99"], dir, generated.stdout);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^plan for 300 orders: serve 99% of each city's orders, area strict$/m);
    expect(stdout).toMatch(/^AXB\s+0755\s+300\s+\d+\s+5000\s/m);
    expect(stdout).toMatch(/confirmed$/m);
  });

  it("exits 2 naming the line of a bad log", async () => {
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, '{"start":1,"end":2,"city":"0755","a":"a1","mode":"AX"}\n{"start":3}\n');
    const { code, stderr } = await cli(["plan", file], dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.jsonl line 2: no end time/);
  });
});
