/**
 * The same sources run on Deno 2: drive the CLI through `deno run` on the
 * TypeScript entry point and check a real check/apply/re-run cycle.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../helpers.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const deno = join(root, "node_modules", ".bin", "deno");
if (!existsSync(deno)) {
  console.log("SKIPPED 1 Deno test: deno is not installed (`npm install --no-save deno`, as .ci/run does)");
  process.exit(0);
}

test("deno runs hoist from the TypeScript sources", () => {
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
  assert.is(check.status, 0, check.stderr);
  assert.is(JSON.parse(check.stdout).stats.localhost.changed, 1);
  assert.is(run([]).status, 0);
  assert.is(readFileSync(join(dir, "out"), "utf8"), "from deno\n");
  const again = run(["--detailed-exitcode"]);
  assert.is(again.status, 0, again.stdout + again.stderr);
});

test.run();
