/** Test helpers of the CLI: the real `bindpool` process, config files, and a whole-store snapshot. */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";

const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `bindpool` from source in its own process; the environment has no REDIS_URL unless given. */
export function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=@bindpool/source", "--import", "tsx", CLI, ...args],
      { env: { ...process.env, REDIS_URL: "", ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `tasks` a few at a time (each starts a Node process). */
export async function few<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await task(items[i]!);
  };
  await Promise.all(Array.from({ length: 3 }, worker));
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "bindpool-cli-"));
let files = 0;

/** Writes a config file (an object as JSON, a string as is) and returns its path. */
export function configFile(content: unknown): string {
  const file = join(dir, `config-${++files}.json`);
  writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

/** Every key of the Redis and its serialized value: equal snapshots mean nothing changed. */
export async function snapshot(redis: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of keys) out.set(key, (await redis.dumpBuffer(key))?.toString("hex") ?? "");
  } while (cursor !== "0");
  return out;
}
