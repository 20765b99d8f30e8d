// Makes sure `redis-server` is on PATH before the tests start: the Redis tests run against a real
// server that the test harness starts on an ephemeral port. On a Debian/Ubuntu machine where we run
// as root, install it from the distribution; anywhere else, say how to get it.
import { execFileSync, spawnSync } from "node:child_process";

const has = (cmd) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;

if (process.env.REDIS_URL || (has("redis-server") && has("redis-cli"))) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (isRoot && has("apt-get")) {
  console.log("redis-server not found: installing the Debian package (apt-get install -y redis-server)...");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "redis-server"], {
    stdio: "inherit",
    env,
  });
  if (has("redis-server")) process.exit(0);
}
console.error(
  [
    "The tests need a real Redis: `redis-server` and `redis-cli` must be on PATH (the harness starts its own",
    "server on an ephemeral port), or REDIS_URL must point at a Redis you own (it will be flushed).",
    "  Debian/Ubuntu: sudo apt-get install -y redis-server",
    "  macOS:         brew install redis",
  ].join("\n"),
);
process.exit(1);
