/**
 * Check mode predicts what the real run does, or says it cannot know: on
 * the local connection, each playbook runs in check mode, then for real, and
 * every task check mode did not call unknown must have the status it
 * predicted. Projections make later plans see earlier planned changes; a
 * command whose effect cannot be known makes what follows it unknown.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPlaybook, tempDir } from "../helpers.ts";

async function checkThenRun(playbook: string) {
  const inventory = "localhost ansible_connection=local\n";
  const check = await runPlaybook(playbook, { inventory, check: true });
  const real = await runPlaybook(playbook, { inventory });
  const status = (out: typeof check, task: string) => out.byTask(task, "localhost").status;
  // Unknown results, and commands check mode skips as Ansible does (their effect cannot be known), predict nothing.
  const predicts = (r: (typeof check.results)[number]) =>
    r.result.status !== "unknown" && !(r.result.status === "skipped" && r.result.msg?.startsWith("check mode:"));
  const wrong = check.results
    .filter((r) => predicts(r) && status(real, r.task) !== r.result.status)
    .map((r) => `${r.task}: check ${r.result.status}, real ${status(real, r.task)}`);
  return { check: (t: string) => check.byTask(t, "localhost"), wrong };
}

test("a file in a directory that is only planned, and a tree removed: predicted exactly", async () => {
  const d = tempDir();
  mkdirSync(join(d, "old/sub"), { recursive: true });
  writeFileSync(join(d, "old/sub/f"), "x");
  const { check, wrong } = await checkThenRun(`- hosts: all
  tasks:
    - { name: dir, file: { path: ${d}/new, state: directory } }
    - { name: in it, file: { path: ${d}/new/f, content: "a\\n" } }
    - { name: again, file: { path: ${d}/new/f, content: "a\\n" } }
    - { name: tree gone, file: { path: ${d}/old, state: absent } }
    - { name: below it, file: { path: ${d}/old/sub/f, state: absent } }
`);
  assert.deepEqual(
    ["dir", "in it", "again", "tree gone", "below it"].map((t) => check(t).status),
    ["changed", "changed", "ok", "changed", "ok"],
  );
  assert.deepEqual(wrong, []);
});

test("after a command that would run, what follows is unknown; after one that changes nothing, it is predicted", async () => {
  const d = tempDir();
  const { check, wrong } = await checkThenRun(`- hosts: all
  tasks:
    - { name: probe, command: "true", changed_when: false }
    - { name: after probe, file: { path: ${d}/a, content: "a\\n" } }
    - { name: maker, shell: "echo b > ${d}/b" }
    - { name: after maker, file: { path: ${d}/b, content: "b\\n" } }
`);
  assert.equal(check("after probe").status, "changed");
  assert.equal(check("maker").status, "skipped");
  assert.equal(check("after maker").status, "unknown");
  assert.match(check("after maker").msg!, /cannot know until an earlier change is applied: stat:.*\/b depends on 'maker' \(playbook\.yaml:5\)/);
  assert.deepEqual(wrong, []);
});

test("recursive modes make what is below unknown, and the recap counts unknown apart", async () => {
  const d = tempDir();
  mkdirSync(join(d, "t"));
  writeFileSync(join(d, "t/f"), "x");
  const inventory = "localhost ansible_connection=local\n";
  const out = await runPlaybook(
    `- hosts: all
  tasks:
    - { name: tree, file: { path: ${d}/t, state: directory, mode: "0700", recurse: true } }
    - { name: child, file: { path: ${d}/t/f, mode: "0700" } }
`,
    { inventory, check: true },
  );
  assert.equal(out.byTask("child", "localhost").status, "unknown");
  assert.deepEqual(out.stats.get("localhost"), { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, unknown: 1 });
});
