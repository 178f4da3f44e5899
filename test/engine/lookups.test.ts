import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPlaybook, tempDir } from "../helpers.ts";
import { render } from "../../engine/template/template.ts";

test("file, env, template, vars, first_found and pipe read the control machine", () => {
  const dir = tempDir();
  mkdirSync(join(dir, "files"));
  mkdirSync(join(dir, "templates"));
  writeFileSync(join(dir, "files", "key.pub"), "ssh-ed25519 AAAA ops\n");
  writeFileSync(join(dir, "templates", "t.j2"), "hello {{ who }}");
  const vars = { playbook_dir: dir, who: "ops", port: 80 };
  assert.equal(render("{{ lookup('file', 'key.pub') }}", vars), "ssh-ed25519 AAAA ops");
  assert.equal(render("{{ lookup('env', 'HOIST_TEST_LOOKUP') }}", vars), "");
  process.env.HOIST_TEST_LOOKUP = "set";
  assert.equal(render("{{ lookup('ansible.builtin.env', 'HOIST_TEST_LOOKUP') }}", vars), "set");
  assert.equal(render("{{ lookup('template', 't.j2') }}", vars), "hello ops");
  assert.equal(render("{{ lookup('vars', 'port') }}", vars), 80);
  assert.equal(render("{{ lookup('vars', 'nope', default='d') }}", vars), "d");
  assert.deepEqual(render("{{ query('first_found', ['missing.yml', 'key.pub']) }}", vars), [join(dir, "files", "key.pub")]);
  assert.equal(render("{{ lookup('pipe', 'echo a; echo b') }}", vars), "a\nb");
  assert.throws(() => render("{{ lookup('file', 'nope.txt') }}", vars), /lookup\('file'\): could not find 'nope.txt'/);
  assert.throws(() => render("{{ lookup('nosuch', 'x') }}", vars), /unknown lookup 'nosuch'/);
});

test("password: made once, kept in a 0600 file, the same on the next run, and never in output", async () => {
  const dir = tempDir();
  const pb = `- hosts: all
  gather_facts: false
  tasks:
    - { name: show, debug: { msg: "pw={{ lookup('password', '${dir}/creds/admin length=24 chars=ascii_letters,digits') }}" } }
`;
  const first = await runPlaybook(pb);
  const stored = readFileSync(join(dir, "creds", "admin"), "utf8").trim();
  assert.match(stored, /^[A-Za-z0-9]{24}$/);
  assert.equal(statSync(join(dir, "creds", "admin")).mode & 0o777, 0o600);
  assert.equal(first.byTask("show").values.msg, "pw=(sensitive)");
  const second = await runPlaybook(pb);
  assert.equal(readFileSync(join(dir, "creds", "admin"), "utf8").trim(), stored, "read back, not made again");
  assert.ok(!String(JSON.stringify(second.results)).includes(stored));
});
