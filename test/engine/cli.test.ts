import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync, readFileSync, appendFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../helpers.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const hoist = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, "bin", "hoist.js"), ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test("-K reads the password from piped stdin (a line, or all of it without a newline)", () => {
  const secret = join(root, "dist", "engine", "cli", "secret.js");
  for (const [input, want] of [
    ["pw-1\nrest\n", "pw-1"],
    ["pw-2", "pw-2"],
    ["pw-3\r\n", "pw-3"],
    ["", ""],
  ]) {
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { readSecret } = await import(${JSON.stringify(secret)}); process.stdout.write(JSON.stringify(await readSecret("pw: ")));`,
      ],
      { input, encoding: "utf8" },
    );
    assert.equal(r.stdout, JSON.stringify(want), `input ${JSON.stringify(input)}: ${r.stderr}`);
  }
});

test("module authors import the contract, and programs the run API, from the package", () => {
  const r = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      'const m = await import("@hoist-iac/hoist"); const c = await import("@hoist-iac/hoist/module"); console.log([m.createRun, m.defineModule, m.defineFact, m.projectFact, m.unknowable, m.noChange, c.defineModule, c.createRun].map((f) => typeof f).join(" "))',
    ],
    { cwd: root, encoding: "utf8" },
  );
  assert.equal(r.stdout.trim(), "function function function function function function function undefined", r.stderr);
});

test("--version answers", () => {
  const r = hoist(["--version"]);
  assert.equal(r.code, 0);
  assert.match(r.out, /^hoist \d+\.\d+\.\d+/);
});

test("check, apply, re-run, tamper: the drift-detection cycle and its exit codes", () => {
  const dir = tempDir();
  const pb = join(dir, "site.yaml");
  writeFileSync(pb, `- hosts: localhost\n  tasks:\n    - name: managed\n      file: { path: ${dir}/managed.conf, content: "a=1\\n" }\n`);
  const check = hoist(["run", pb, "--check", "--diff", "--detailed-exitcode"]);
  assert.equal(check.code, 2, check.out + check.err);
  assert.match(check.out, /changed: \[localhost\] managed/);
  assert.match(check.out, /\+a=1/);
  assert.match(check.out, /localhost\s+: ok=1 changed=1 unreachable=0 failed=0 skipped=0/);
  assert.equal(hoist(["run", pb]).code, 0);
  const rerun = hoist(["run", pb, "--detailed-exitcode"]);
  assert.equal(rerun.code, 0);
  assert.match(rerun.out, /changed=0/);
  appendFileSync(join(dir, "managed.conf"), "tampered\n");
  const drift = hoist(["run", pb, "--check", "--diff", "--detailed-exitcode"]);
  assert.equal(drift.code, 2);
  assert.match(drift.out, /-tampered/);
  assert.equal(readFileSync(join(dir, "managed.conf"), "utf8"), "a=1\ntampered\n");
});

test("--json prints one versioned document", () => {
  const dir = tempDir();
  const pb = join(dir, "site.yaml");
  writeFileSync(pb, `- hosts: localhost\n  tasks:\n    - { name: f, file: { path: ${dir}/x, content: "1" } }\n`);
  const r = hoist(["run", pb, "--check", "--json"]);
  const doc = JSON.parse(r.out);
  assert.equal(doc.version, 1);
  assert.equal(doc.check, true);
  assert.equal(doc.plays[0].results[0].status, "changed");
  assert.deepEqual(doc.plays[0].results[0].diff[0].after, "1");
  assert.deepEqual(doc.stats.localhost.changed, 1);
});

test("bad input exits 4 with file:line:col and touches nothing", () => {
  const dir = tempDir();
  const pb = join(dir, "site.yaml");
  writeFileSync(pb, `- hosts: localhost\n  tasks:\n    - file: { path: ${dir}/x, content: "1" }\n    - comand: ls\n`);
  const r = hoist(["run", pb]);
  assert.equal(r.code, 4);
  assert.match(r.err, /site\.yaml:4:7: unknown module or task keyword 'comand' \(did you mean 'command'\?\)/);
  assert.equal(spawnSync("ls", [dir]).stdout.toString().trim(), "site.yaml");
});

test("a failed task exits 1; -e sets variables; undefined variables name themselves", () => {
  const dir = tempDir();
  const pb = join(dir, "site.yaml");
  writeFileSync(pb, `- hosts: localhost\n  tasks:\n    - name: uses vars\n      file: { path: "${dir}/{{ fname }}", content: "{{ body }}" }\n`);
  const ok = hoist(["run", pb, "-e", "fname=a.txt", "-e", "body=hi"]);
  assert.equal(ok.code, 0, ok.out + ok.err);
  assert.equal(readFileSync(join(dir, "a.txt"), "utf8"), "hi");
  const bad = hoist(["run", pb, "-e", "fname=b.txt"]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /failed: \[localhost\] uses vars => 'body' is undefined/);
});

test("hoist modules lists modules and documents one", () => {
  const list = hoist(["modules"]);
  assert.match(list.out, /^command\s/m);
  assert.match(list.out, /^file\s/m);
  const doc = hoist(["modules", "file"]);
  assert.match(doc.out, /ARGUMENTS/);
  assert.match(doc.out, /state: file \| directory \| absent \| link \| touch/);
  assert.match(doc.out, /EXAMPLES/);
  assert.equal(hoist(["modules", "fiel"]).code, 4);
});

const hasCompileCache = typeof ((await import("node:module")) as { enableCompileCache?: unknown }).enableCompileCache === "function";

test("V8's compile cache is kept in the user's own cache directory (0700), and one that is not the user's is not used", {
  skip: hasCompileCache ? undefined : `node ${process.version} has no compile cache`,
}, async () => {
  const { lstatSync, mkdirSync, readdirSync, symlinkSync } = await import("node:fs");
  const cache = tempDir();
  const run = (dir: string) =>
    spawnSync(process.execPath, [join(root, "bin", "hoist.js"), "run", join(root, "playbooks", "hello.yaml"), "--check", "-e", `base=${join(dir, "hello")}`], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", HOIST_CACHE_DIR: dir, NODE_COMPILE_CACHE: "" },
    });
  assert.equal(run(cache).status, 0);
  const st = lstatSync(join(cache, "compile"));
  assert.equal(st.mode & 0o777, 0o700);
  assert.ok(readdirSync(join(cache, "compile")).length > 0, "compiled code was kept");
  // A compile directory that is a link to a place others can write: refused, and the run goes on without a cache.
  const elsewhere = tempDir();
  const planted = tempDir();
  mkdirSync(join(elsewhere, "shared"), { mode: 0o777 });
  symlinkSync(join(elsewhere, "shared"), join(planted, "compile"));
  assert.equal(run(planted).status, 0);
  assert.deepEqual(readdirSync(join(elsewhere, "shared")), [], "nothing was cached through the link");
});
