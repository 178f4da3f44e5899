/**
 * The module contract's examples are code that runs: every exported symbol
 * of the contract (engine/module.ts and the files it re-exports), of the outcome and of the truth rule has a doc comment with an
 * @example, and Deno type-checks and runs every example (`deno test --doc`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const CONTRACT = [
  "engine/module.ts",
  "engine/contract/probe.ts",
  "engine/contract/plan.ts",
  "engine/contract/module.ts",
  "engine/fact.ts",
  "engine/projection.ts",
  "engine/outcome/result.ts",
  "engine/outcome/unknown.ts",
  "engine/outcome/reporter.ts",
  "engine/host/read.ts",
];

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
  assert.deepEqual(missing, []);
});

const deno = join(root, "node_modules", ".bin", "deno");
const noDeno = existsSync(deno) ? undefined : "deno is not installed (`npm install --no-save deno`, as .ci/run does), so the examples were not run";
test("deno type-checks and runs every example", { skip: noDeno }, () => {
  const r = spawnSync(deno, ["test", "--doc", "--no-check=remote", ...CONTRACT], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const passed = Number(/(\d+) passed/.exec(r.stdout)?.[1] ?? 0);
  console.log(`contract examples: ${passed} ran under deno test --doc`);
  assert.ok(passed >= 20, `${passed} examples ran`);
});
