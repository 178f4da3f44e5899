#!/usr/bin/env node
// Runs every compiled test file with node:test and prints the closing line CI reads:
// "N passed, N failed, N skipped", counted from node:test's own events (never from
// its text). Integration suites decide themselves whether a lab can run here and
// mark their tests skipped, with the reason, when it cannot.
import { spawnSync } from "node:child_process";
import { run } from "node:test";
import { inspect } from "node:util";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const build = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json")], { stdio: "inherit" });
const precompile =
  build.status === 0 && spawnSync(process.execPath, [join(root, "dist/engine/load/precompile.js")], { stdio: ["ignore", "ignore", "inherit"] });
if (build.status !== 0 || !precompile || precompile.status !== 0) {
  console.log("0 passed, 1 failed");
  process.exit(1);
}

const only = process.argv.slice(2);

// Hygiene, counted like tests: the formatter and linter (biome), and the import directions
// (dependency-cruiser, on the compiled tree: see .dependency-cruiser.cjs).
const checks = [
  ["format and lint (biome check)", [join(root, "node_modules/@biomejs/biome/bin/biome"), "check", "--no-errors-on-unmatched", "."]],
  [
    "import directions and cycles (dependency-cruiser)",
    [
      join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"),
      "--config",
      join(root, ".dependency-cruiser.cjs"),
      "dist/engine",
      "dist/modules",
      "dist/facts",
      "dist/lab",
      "dist/bench",
      "dist/test",
    ],
  ],
];
let hygieneFailed = 0;
if (only.length === 0) {
  for (const [name, argv] of checks) {
    const r = spawnSync(process.execPath, argv, { cwd: root, encoding: "utf8" });
    console.log(`${r.status === 0 ? "ok  " : "FAIL"} ${name}`);
    if (r.status !== 0) {
      hygieneFailed++;
      console.log(
        ((r.stdout ?? "") + (r.stderr ?? ""))
          .split("\n")
          .slice(-60)
          .map((l) => "    " + l)
          .join("\n"),
      );
    }
  }
}
const files = [];
const walk = (dir) => {
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith(".test.js")) files.push(p);
  }
};
walk(join(root, "dist/test"));
const selected = files.filter((f) => only.length === 0 || only.some((o) => relative(root, f).includes(o)));
// Unit suites first, the lab suites last (they share one lab).
selected.sort((a, b) => Number(a.includes("/lab/")) - Number(b.includes("/lab/")) || a.localeCompare(b));

let passed = only.length === 0 ? checks.length - hygieneFailed : 0;
let failed = hygieneFailed;
let skipped = 0;
process.env.NO_COLOR = "1";
process.env.FORCE_COLOR = "0";
/** One file's top-level tests, as node:test reports them, with what the file printed. */
async function runFile(file) {
  const r = { ok: 0, fails: [], skipped: [], output: [] };
  for await (const event of run({ files: [file], concurrency: 1 })) {
    const { type, data } = event;
    if (type === "test:stdout" || type === "test:stderr") r.output.push(data.message);
    if (data?.nesting !== 0) continue;
    if (type === "test:pass" && data.skip !== undefined) r.skipped.push(`${data.name}: ${data.skip === true ? "skipped" : data.skip}`);
    else if (type === "test:pass") r.ok++;
    else if (type === "test:fail") {
      const error = data.details?.error;
      r.fails.push(`${data.name}\n${inspect(error?.cause ?? error, { depth: 4 })}`);
    }
  }
  return r;
}

for (const file of selected) {
  const started = Date.now();
  const r = await runFile(file);
  const fails = r.fails.length;
  passed += r.ok;
  failed += fails;
  skipped += r.skipped.length;
  const name = relative(join(root, "dist"), file);
  console.log(
    `${fails ? "FAIL" : "ok  "} ${name}: ${r.ok} passed, ${fails} failed${r.skipped.length ? `, ${r.skipped.length} skipped` : ""} (${((Date.now() - started) / 1000).toFixed(1)}s)`,
  );
  const lines = r.output.join("").split("\n");
  // Everything when a suite fails; otherwise the figures suites measure (the hostile suite's tried/held, check-mode truth, …) and why tests were skipped.
  const shown =
    fails || process.env.HOIST_TEST_VERBOSE
      ? [...lines, ...r.fails.flatMap((f) => `FAILED ${f}`.split("\n"))]
      : lines
          .map((l) => l.trim())
          .filter((l) =>
            /^(hostile|check-mode truth[^:]*|contract examples|documented exports|plan\/apply|packed|ssh|hard way|microk8s|drift|containers|snap|templates vs ansible-core|ansible oracle|role compat): /.test(
              l,
            ),
          );
  const reasons = [...new Set(r.skipped.map((s) => s.replace(/^.*?: /, "")))].map((why) => `skipped: ${why}`);
  if (shown.length || reasons.length) console.log([...shown, ...reasons].map((l) => "    " + l).join("\n"));
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
