/**
 * The same sources run on Deno 2: drive the CLI through `deno run` on the
 * TypeScript entry point and check a real check/apply/re-run cycle.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../helpers.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const deno = join(root, "node_modules", ".bin", "deno");
const noDeno = existsSync(deno) ? undefined : "deno is not installed (`npm install --no-save deno`, as .ci/run does)";

test("deno runs hoist from the TypeScript sources", { skip: noDeno }, () => {
  const dir = tempDir();
  const pb = join(dir, "site.yaml");
  writeFileSync(pb, `- hosts: localhost\n  tasks:\n    - { name: f, file: { path: ${dir}/out, content: "from deno\\n" } }\n`);
  const run = (args: string[]) =>
    spawnSync(deno, ["run", "-A", join(root, "engine/cli/main.ts"), "run", pb, ...args], {
      encoding: "utf8",
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
  const check = run(["--check", "--json"]);
  assert.equal(check.status, 0, check.stderr);
  assert.equal(JSON.parse(check.stdout).stats.localhost.changed, 1);
  assert.equal(run([]).status, 0);
  assert.equal(readFileSync(join(dir, "out"), "utf8"), "from deno\n");
  const again = run(["--detailed-exitcode"]);
  assert.equal(again.status, 0, again.stdout + again.stderr);
});
