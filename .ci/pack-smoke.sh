#!/usr/bin/env bash
# A newcomer's path, from the packed tarballs: pack every published package (each prepack builds it),
# install the tarballs with npm into a fresh project beside the newest ioredis and the OTel SDK npm picks
# on this Node, typecheck a small app against them (moduleResolution nodenext and bundler), bundle it with
# esbuild, check require() of the ESM builds, and run the bundle from a folder with no node_modules:
# allocate and complete against a redis-server and bindpool-sim (from the installed tarball), then scrape
# the Prometheus exporter. Needs node, npm, pnpm, redis-server and redis-cli; the npm registry.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/bindpool-pack-smoke.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== pack-smoke: %s (%ss)\n' "$1" "$SECONDS"; }
free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
# Polls `$@` until it succeeds, for at most ~20 s.
wait_for() {
  for _ in $(seq 200); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "pack-smoke: timed out waiting for: $*" >&2
  return 1
}

step "pack"
filters=()
while read -r dir; do filters+=(--filter "./$dir"); done < <(node "$repo/scripts/packages.mjs" list)
(cd "$repo" && pnpm -r "${filters[@]}" pack --pack-destination "$work/tarballs" >"$work/pack.log" 2>&1) ||
  { cat "$work/pack.log"; exit 1; }
for tarball in "$work"/tarballs/*.tgz; do
  listing="$(tar tzf "$tarball")"
  for file in package/dist/index.js package/dist/index.d.ts package/LICENSE package/README.md; do
    grep -qx "$file" <<<"$listing" || { echo "pack-smoke: $(basename "$tarball") lacks $file" >&2; exit 1; }
  done
  if grep -q '^package/src/' <<<"$listing"; then echo "pack-smoke: $(basename "$tarball") ships src/" >&2; exit 1; fi
done
ls "$work/tarballs"

step "npm install into a fresh project"
mkdir -p "$work/app" "$work/run"
cp "$repo"/.ci/pack-smoke/*.ts "$repo"/.ci/pack-smoke/tsconfig.*.json "$work/app/"
cd "$work/app"
printf '{ "name": "bindpool-pack-smoke", "private": true, "type": "module" }\n' >package.json
# The app's dependencies as a newcomer adds them: unpinned, so npm picks what it gives on this Node.
npm install --no-audit --no-fund --loglevel=error "$work"/tarballs/*.tgz \
  ioredis @opentelemetry/sdk-metrics @opentelemetry/exporter-prometheus
# The tools at the workspace's versions, so a new TypeScript or esbuild does not fail this by itself.
ts_version="$(node -p 'require(process.argv[1]).devDependencies.typescript' "$repo/package.json")"
esbuild_version="$(node -p 'require(process.argv[1]).devDependencies.esbuild' "$repo/packages/redis/package.json")"
npm install --no-audit --no-fund --loglevel=error --save-dev \
  "typescript@$ts_version" "esbuild@$esbuild_version" "@types/node@^20"

step "typecheck (moduleResolution nodenext, bundler)"
# Both at once (two cores); each tsc's exit code counts.
npx tsc -p tsconfig.nodenext.json &
nodenext=$!
npx tsc -p tsconfig.bundler.json
wait "$nodenext"

step "esbuild bundle"
# ioredis is CommonJS and requires Node's built-ins: an ESM bundle gives it a `require`.
npx esbuild app.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --outfile="$work/run/app.mjs" \
  --banner:js="import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"

step "require() of the ESM builds (engines says node >= 20.19)"
node --no-warnings -e 'for (const p of ["@bindpool/core", "@bindpool/redis", "@bindpool/huawei", "@bindpool/simulator"]) require(p)'

step "redis-server and bindpool-sim"
redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
wait_for redis-cli -p "$redis_port" ping
numbers="+8617000000001,+8617000000002,+8617000000003"
./node_modules/.bin/bindpool-sim --port 0 --app-key smoke-key --app-secret smoke-secret --mode AXB \
  --numbers "+8617000000001*3:0755:GD" >"$work/sim.log" 2>&1 &
pids+=($!)
wait_for grep -q "listening on" "$work/sim.log"
sim_url="$(grep -o 'http://[0-9.:]*' "$work/sim.log" | head -1)"
echo "redis on $redis_port, simulator at $sim_url"

step "run the bundle"
(cd "$work/run" && REDIS_URL="redis://127.0.0.1:$redis_port" SIM_URL="$sim_url" SIM_APP_KEY=smoke-key \
  SIM_APP_SECRET=smoke-secret SIM_NUMBERS="$numbers" PROM_PORT="$(free_port)" node app.mjs)

step "versions (npm ls)"
node -v
npm ls --depth=0
npm ls @opentelemetry/api ioredis || true
printf '\npack-smoke: passed in %ss\n' "$SECONDS"
