/**
 * The module contract's examples are code that runs: every exported symbol
 * of engine/module.ts, fact.ts and projection.ts has a doc comment with an
 * @example, and Deno type-checks and runs every example (`deno test --doc`).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const CONTRACT = ["engine/module.ts", "engine/fact.ts", "engine/projection.ts"];

test("every exported symbol of the contract has a doc comment with an example", () => {
  const missing: string[] = [];
  for (const file of CONTRACT) {
    const text = readFileSync(join(root, file), "utf8");
    for (const m of text.matchAll(/^export (?:async )?(?:interface|function|type|const|class) (\w+)/gm)) {
      const before = text.slice(0, m.index);
      const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.exec(before);
      if (!doc?.[1].includes("@example")) missing.push(`${file}: ${m[1]}`);
    }
  }
  assert.equal(missing, []);
});

const deno = join(root, "node_modules", ".bin", "deno");
if (existsSync(deno)) {
  test("deno type-checks and runs every example", () => {
    const r = spawnSync(deno, ["test", "--doc", "--no-check=remote", ...CONTRACT], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
    assert.is(r.status, 0, r.stdout + r.stderr);
    const passed = Number(/(\d+) passed/.exec(r.stdout)?.[1] ?? 0);
    console.log(`contract examples: ${passed} ran under deno test --doc`);
    assert.ok(passed >= 20, `${passed} examples ran`);
  });
} else {
  console.log("SKIPPED 1 test: deno is not installed (`npm install --no-save deno`, as .ci/run does), so the examples were not run");
}

test.run();
