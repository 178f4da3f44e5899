import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, statSync, existsSync, readlinkSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { runPlaybook, tempDir } from "../helpers.ts";

const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, "0");

function cycle(pb: (d: string) => string) {
  const dir = tempDir();
  return { dir, run: (opts: Parameters<typeof runPlaybook>[1] = {}) => runPlaybook(pb(dir), opts) };
}

test("file: check changes nothing, apply changes, re-run is ok, tamper is detected", async () => {
  const { dir, run } = cycle(
    (d) => `- hosts: all
  tasks:
    - { name: dir, file: { path: ${d}/conf, state: directory, mode: "0750" } }
    - { name: content, file: { path: ${d}/conf/app.conf, content: "port=80\\n", mode: "0640" } }
    - { name: line, file: { path: ${d}/conf/sysctl.conf, line: "vm.swappiness = 0", regexp: "^vm.swappiness" } }
    - { name: block, file: { path: ${d}/conf/hosts, block: "10.0.0.1 m1\\n10.0.0.2 m2" } }
    - { name: link, file: { path: ${d}/current, state: link, src: ${d}/conf } }
`,
  );
  const check = await run({ check: true });
  assert.deepEqual(
    check.results.map((r) => r.result.status),
    ["changed", "changed", "changed", "changed", "changed"],
  );
  assert.ok(!existsSync(join(dir, "conf")), "check mode wrote nothing");
  // Planned against the projected state: the directory does not exist yet, yet the file in it plans cleanly.
  assert.deepEqual(check.byTask("content").changes[0], {
    field: "content",
    path: `${dir}/conf/app.conf`,
    before: null,
    after: "port=80\n",
    resource: `file:${dir}/conf/app.conf`,
  });

  const apply = await run();
  assert.equal(apply.stats.get("localhost")!.changed, 5);
  assert.equal(readFileSync(join(dir, "conf/app.conf"), "utf8"), "port=80\n");
  assert.equal(mode(join(dir, "conf")), "0750");
  assert.equal(mode(join(dir, "conf/app.conf")), "0640");
  assert.equal(readFileSync(join(dir, "conf/sysctl.conf"), "utf8"), "vm.swappiness = 0\n");
  assert.equal(readFileSync(join(dir, "conf/hosts"), "utf8"), "# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.1 m1\n10.0.0.2 m2\n# END ANSIBLE MANAGED BLOCK\n");
  assert.equal(readlinkSync(join(dir, "current")), join(dir, "conf"));

  const again = await run();
  assert.equal(again.stats.get("localhost")!.changed, 0);

  writeFileSync(join(dir, "conf/app.conf"), "port=81\n");
  writeFileSync(join(dir, "conf/sysctl.conf"), "vm.swappiness = 60\nother = 1\n");
  const drift = await run({ check: true });
  assert.equal(drift.byTask("content").status, "changed");
  assert.deepEqual(drift.byTask("content").changes[0].before, "port=81\n");
  assert.deepEqual(drift.byTask("line").changes[0].after, "vm.swappiness = 0\nother = 1\n");
  assert.equal(drift.byTask("block").status, "ok");
  assert.equal(readFileSync(join(dir, "conf/app.conf"), "utf8"), "port=81\n", "check did not repair");
});

test("file: mode drift on an unchanged file is a change of mode only", async () => {
  const { dir, run } = cycle((d) => `- hosts: all\n  tasks:\n    - { name: f, file: { path: ${d}/f, content: "x", mode: "0600" } }\n`);
  await run();
  writeFileSync(join(dir, "f"), "x", { mode: 0o644 });
  const { chmodSync } = await import("node:fs");
  chmodSync(join(dir, "f"), 0o644);
  const r = await run({ check: true });
  assert.deepEqual(r.byTask("f").changes, [{ field: "mode", path: `${dir}/f`, before: "0644", after: "0600", resource: `file:${dir}/f` }]);
});

test("file: validate refuses bad content and keeps the old file", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "conf"), "good\n");
  const out = await runPlaybook(`- hosts: all\n  tasks:\n    - { name: v, file: { path: ${dir}/conf, content: "bad\\n", validate: "grep -q good %s" } }\n`);
  assert.equal(out.byTask("v").status, "failed");
  assert.match(out.byTask("v").msg!, /validation failed/);
  assert.equal(readFileSync(join(dir, "conf"), "utf8"), "good\n");
  const leftovers = (await import("node:fs")).readdirSync(dir).filter((f) => f.startsWith(".hoist"));
  assert.deepEqual(leftovers, [], "no temporary file left behind");
});

test("file: absent, touch, backup, templated src and recursive modes", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "tree/a/b"), { recursive: true });
  writeFileSync(join(dir, "tree/a/b/f"), "1");
  writeFileSync(join(dir, "old"), "old\n");
  writeFileSync(join(dir, "tpl.j2"), "name={{ inventory_hostname }}\n");
  const pb = `- hosts: all
  tasks:
    - { name: gone, file: { path: ${dir}/old, state: absent } }
    - { name: touched, file: { path: ${dir}/new, state: touch, mode: "0600" } }
    - { name: tpl, file: { path: ${dir}/out.conf, src: ${dir}/tpl.j2, template: true, backup: true } }
    - { name: tree, file: { path: ${dir}/tree, state: directory, mode: "0700", recurse: true } }
`;
  const first = await runPlaybook(pb);
  assert.equal(first.stats.get("localhost")!.changed, 4);
  assert.ok(!existsSync(join(dir, "old")));
  assert.equal(mode(join(dir, "new")), "0600");
  assert.equal(readFileSync(join(dir, "out.conf"), "utf8"), "name=localhost\n");
  assert.equal(mode(join(dir, "tree/a/b/f")), "0700");
  const second = await runPlaybook(pb);
  assert.equal(second.stats.get("localhost")!.changed, 0);
});

test("command: creates/removes decide; check mode skips; failures report rc and stderr", async () => {
  const dir = tempDir();
  const pb = `- hosts: all
  tasks:
    - { name: make, command: { argv: [touch, "${dir}/made"], creates: "${dir}/made" } }
    - { name: out, command: "echo hello", register: o, changed_when: false }
    - { name: shell, shell: "echo a | tr a b", register: s, changed_when: false }
    - { name: seen, assert: { that: ["o.stdout == 'hello'", "s.stdout_lines[0] == 'b'", "s.stdout_lines | length == 1"] } }
    - { name: bad, command: "ls ${dir}/missing", ignore_errors: true }
`;
  const check = await runPlaybook(pb, { check: true });
  assert.equal(check.byTask("make").status, "skipped");
  assert.ok(!existsSync(join(dir, "made")));
  const run = await runPlaybook(pb);
  assert.equal(run.byTask("make").status, "changed");
  assert.equal(run.byTask("seen").status, "ok");
  assert.equal(run.byTask("bad").status, "failed");
  assert.match(run.byTask("bad").msg!, /ls .*missing failed \(exit 2\): .*No such file/);
  const again = await runPlaybook(pb);
  assert.equal(again.byTask("make").status, "ok");
});
