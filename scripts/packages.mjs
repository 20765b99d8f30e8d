#!/usr/bin/env node
/**
 * The published packages' manifests, kept in step without a release tool.
 *
 *   node scripts/packages.mjs check          every published package: one shared version, the fields npm
 *                                            users rely on (see `problems`); exits 1 listing what is wrong
 *   node scripts/packages.mjs set 0.2.0      sets that version on every published package
 *   node scripts/packages.mjs list           prints the published packages' folders, one a line
 *
 * Published: every packages/* without `"private": true`. Internal dependencies are `workspace:*`, which
 * `pnpm pack` turns into the exact version, so the packages always move together.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const NODE = ">=20.19";
const license = readFileSync(join(root, "LICENSE"), "utf8");

const all = readdirSync(join(root, "packages"))
  .map((dir) => join("packages", dir))
  .filter((dir) => existsSync(join(root, dir, "package.json")))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8")) }));
const published = all.filter((p) => p.manifest.private !== true);
const names = new Set(all.map((p) => p.manifest.name));
const privateNames = new Set(all.filter((p) => p.manifest.private === true).map((p) => p.manifest.name));

/** What is wrong with one published package's manifest and folder. */
function problems({ dir, manifest: m }, version) {
  const out = [];
  if (m.version !== version) out.push(`version ${m.version}, the others ${version}`);
  if (m.license !== "MIT") out.push(`license is ${m.license}, not MIT`);
  const own = join(root, dir, "LICENSE");
  if (!existsSync(own) || readFileSync(own, "utf8") !== license)
    out.push("LICENSE is missing or differs from the root LICENSE");
  if (m.repository?.directory !== dir) out.push(`repository.directory is not ${dir}`);
  if (m.type !== "module") out.push('type is not "module" (the packages are ESM-only)');
  if (m.engines?.node !== NODE) out.push(`engines.node is not ${NODE}`);
  if (!m.files?.includes("dist") || m.files.includes("src")) out.push("files must hold dist and not src");
  if (m.scripts?.prepack !== "pnpm run build") out.push('no "prepack": "pnpm run build"');
  for (const [path, entry] of Object.entries(m.exports ?? {})) {
    if (Object.keys(entry)[0] !== "@bindpool/source" || !entry.types || !entry.default)
      out.push(`exports["${path}"] needs "@bindpool/source" first, then "types" and "default"`);
  }
  for (const field of ["dependencies", "peerDependencies"]) {
    for (const [dep, range] of Object.entries(m[field] ?? {})) {
      if (privateNames.has(dep)) out.push(`${field} has the private ${dep}`);
      else if (names.has(dep) && range !== "workspace:*")
        out.push(`${field}.${dep} is ${range}, not workspace:*`);
    }
  }
  return out;
}

const [command, arg] = process.argv.slice(2);
if (command === "list") {
  for (const p of published) console.log(p.dir);
} else if (command === "set" && /^\d+\.\d+\.\d+(-[\w.]+)?$/.test(arg ?? "")) {
  for (const p of published) {
    p.manifest.version = arg;
    writeFileSync(join(root, p.dir, "package.json"), `${JSON.stringify(p.manifest, null, 2)}\n`);
  }
  console.log(`${published.length} packages at ${arg}`);
} else if (command === "check") {
  const version = published[0]?.manifest.version;
  let bad = 0;
  for (const p of published) {
    for (const problem of problems(p, version)) {
      console.error(`${p.dir}: ${problem}`);
      bad++;
    }
  }
  if (bad > 0) process.exit(1);
  console.log(
    `${published.length} published packages at ${version}: ${published.map((p) => p.manifest.name).join(", ")}`,
  );
} else {
  console.error("usage: node scripts/packages.mjs check | set <version> | list");
  process.exit(2);
}
