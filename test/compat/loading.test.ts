/**
 * Ansible content loads as Ansible loads it: modules hoist does not have load
 * and fail only on a host that reaches them, typos still stop the load with
 * the nearest name; YAML 1.1 scalars; `key=value` strings split as Ansible's
 * parse_kv splits them; arguments converted as Ansible converts them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "../../engine/errors.ts";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPlaybook, tempDir } from "../helpers.ts";
import { createRun } from "../../engine/index.ts";
import { LocalConnection } from "../../engine/connection/local.ts";
import { keyValueWords } from "../../engine/load/tasks.ts";
import { parseYaml } from "../../engine/load/yaml.ts";
import { convertArguments } from "../../engine/load/ansible-arguments.ts";

async function loadError(playbook: string): Promise<InputError> {
  try {
    await runPlaybook(playbook);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e;
  }
  throw new Error("expected the load to fail");
}

test("an Ansible module hoist lacks loads behind a false when, and fails only where it is reached", async () => {
  const out = await runPlaybook(`
- hosts: all
  gather_facts: false
  tasks:
    - name: other systems
      ansible.builtin.dnf: { name: nginx, state: present }
      when: false
    - name: reached
      pacman: name=nginx
      ignore_errors: true
    - name: after
      debug: { msg: still running }
`);
  assert.equal(out.byTask("other systems").status, "skipped");
  assert.equal(out.byTask("reached").status, "failed");
  assert.match(String(out.byTask("reached").msg), /'pacman' is an Ansible module hoist does not implement/);
  assert.equal(out.byTask("after").status, "ok");
});

test("a name that is no module at all stops the load, naming the nearest", async () => {
  const e = await loadError(`- hosts: all\n  tasks:\n    - debgu: { msg: hi }\n`);
  assert.match(e.message, /unknown module or task keyword 'debgu'.*debug/);
  assert.match(String(e.where?.line), /3/);
});

test("YAML is read as PyYAML reads it (YAML 1.1)", () => {
  const doc = parseYaml("a: yes\nb: Off\nc: y\nd: 010\ne: 0x10\nf: 1_000\ng: 2024-01-01\nh: 'yes'\n", "x.yaml").value;
  assert.deepEqual(doc, { a: true, b: false, c: "y", d: 8, e: 16, f: 1000, g: "2024-01-01", h: "yes" });
});

test("key=value strings do not split inside {{ }}, and quotes group words", () => {
  assert.deepEqual(keyValueWords(`name={{ x | default('a b') }} state=started`), ["name={{ x | default('a b') }}", "state=started"]);
  assert.deepEqual(keyValueWords(`msg="a b" x=1`), ["msg=a b", "x=1"]);
});

test("boolean and number arguments take Ansible's spellings", () => {
  const schema = { properties: { a: { type: "boolean" }, b: { type: "boolean" }, n: { type: "integer" }, s: { type: "string" }, t: { type: "boolean" } } };
  assert.deepEqual(convertArguments(schema, { a: "yes", b: "False", n: "86400", s: "yes", t: "{{ x }}" }), {
    a: true,
    b: false,
    n: 86400,
    s: "yes",
    t: "{{ x }}",
  });
});

test('service: "name={{ x }} state=started" runs with both arguments', async () => {
  const out = await runPlaybook(`
- hosts: all
  gather_facts: false
  vars: { x: "hello world" }
  tasks:
    - name: said
      debug: "msg={{ x }} verbosity=0"
`);
  assert.equal(out.byTask("said").msg, "hello world");
});

test("include_tasks with a templated file name: every candidate is validated at load, the host's own is run", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "setup-Debian.yml"), "- name: debian\n  debug: { msg: on debian }\n");
  writeFileSync(join(dir, "setup-RedHat.yml"), "- name: redhat\n  ansible.builtin.dnf: { name: nginx }\n");
  writeFileSync(
    join(dir, "site.yml"),
    `- hosts: all
  gather_facts: false
  vars: { family: Debian }
  tasks:
    - include_tasks: "setup-{{ family }}.yml"
    - include_tasks: { file: "setup-{{ family }}.yml", apply: { tags: [setup] } }
    - name: missing one
      include_tasks: "setup-{{ 'Arch' }}.yml"
      ignore_errors: true
`,
  );
  const out = await createRun({ playbook: join(dir, "site.yml"), connect: async (h) => new LocalConnection(h) });
  assert.equal(out.results.filter((r) => r.task === "debian").length, 2);
  assert.equal(
    out.results.some((r) => r.task === "redhat"),
    false,
    "the other file is loaded, never run",
  );
  assert.match(String(out.byTask("missing one").msg), /included file not found: .*setup-Arch.yml \(the name can give: setup-Debian.yml, setup-RedHat.yml\)/);
  writeFileSync(join(dir, "setup-RedHat.yml"), "- name: redhat\n  dnff: { name: nginx }\n");
  await assert.rejects(createRun({ playbook: join(dir, "site.yml"), connect: async (h) => new LocalConnection(h) }), /unknown module or task keyword 'dnff'/);
});

test("task keywords are converted as Ansible converts them: become: yes, a name that YAML reads as a boolean", async () => {
  const out = await runPlaybook(`- hosts: all\n  gather_facts: false\n  tasks:\n    - { name: off, debug: { msg: hi }, check_mode: "no" }\n`);
  assert.equal(out.byTask("False").status, "ok");
});

test("lineinfile and blockinfile take Ansible's other names for path (dest, name), and refuse both at once", async () => {
  const dir = tempDir();
  const out = await runPlaybook(`- hosts: all
  gather_facts: false
  tasks:
    - { name: by dest, lineinfile: { dest: "${dir}/a.conf", line: "x=1", create: true } }
    - { name: by name, ansible.builtin.blockinfile: { name: "${dir}/a.conf", block: "y=2" } }
`);
  assert.equal(out.byTask("by dest").status, "changed");
  assert.equal(out.byTask("by name").status, "changed");
  assert.match(readFileSync(join(dir, "a.conf"), "utf8"), /^x=1\n# BEGIN ANSIBLE MANAGED BLOCK\ny=2\n# END ANSIBLE MANAGED BLOCK\n$/);
  const e = await loadError(`- hosts: all\n  tasks:\n    - lineinfile: { dest: /tmp/a, path: /tmp/a, line: x }\n`);
  assert.match(e.message, /'dest' and 'path' are one argument/);
});

test("meta: flush_handlers runs the host's notified handlers there; end_host ends the play for the host; when holds", async () => {
  const dir = tempDir();
  const out = await runPlaybook(`- hosts: all
  gather_facts: false
  tasks:
    - { name: notify, debug: { msg: x }, changed_when: true, notify: mark }
    - meta: flush_handlers
    - name: after flush
      command: { argv: [test, -e, "${dir}/marked"] }
      changed_when: false
    - { name: not ended, meta: end_host, when: false }
    - { meta: noop }
    - ansible.builtin.meta: end_host
    - name: never
      debug: { msg: never }
  handlers:
    - name: mark
      file: { path: "${dir}/marked", state: touch }
- hosts: all
  gather_facts: false
  tasks:
    - { name: next play, debug: { msg: runs again } }
`);
  assert.equal(out.byTask("after flush").status, "ok", "the handler ran before the next task");
  assert.equal(out.byTask("not ended").status, "skipped");
  assert.equal(
    out.results.some((r) => r.task === "never"),
    false,
  );
  assert.equal(out.byTask("next play").status, "ok", "end_host ends one play only");
  assert.equal(out.stats.get("localhost")!.failed, 0);
  const e = await loadError(`- hosts: all\n  tasks:\n    - meta: flush_handler\n`);
  assert.match(e.message, /meta/);
});

test("with_<lookup> loops as Ansible's: dict, items (flattened once), first_found, sequence, subelements, together, nested", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "Debian.yml"), "x: 1\n");
  const out = await runPlaybook(`- hosts: all
  gather_facts: false
  vars:
    users: { alice: { uid: 1 }, bob: { uid: 2 } }
    groups_of: [{ name: a, groups: [x, y] }, { name: b, groups: [z] }]
  tasks:
    - { name: dict, debug: { msg: "{{ item.key }}={{ item.value.uid }}" }, with_dict: "{{ users }}" }
    - { name: items, debug: { msg: "{{ item }}" }, with_items: [[1, 2], 3] }
    - { name: found, debug: { msg: "{{ item | basename }}" }, with_first_found: ["${dir}/RedHat.yml", "${dir}/Debian.yml"] }
    - { name: seq, debug: { msg: "{{ item }}" }, with_sequence: "start=1 end=3 format=web%02d" }
    - { name: sub, debug: { msg: "{{ item.0.name }}:{{ item.1 }}" }, with_subelements: ["{{ groups_of }}", groups] }
    - { name: together, debug: { msg: "{{ item.0 }}{{ item.1 }}" }, with_together: [[a, b], [1, 2]] }
    - { name: nested, debug: { msg: "{{ item.0 }}{{ item.1 }}" }, with_nested: [[a, b], [1, 2]] }
`);
  const msgs = (task: string) => (out.byTask(task).results ?? []).map((r) => r.msg);
  assert.deepEqual(msgs("dict"), ["alice=1", "bob=2"]);
  assert.deepEqual(msgs("items"), ["1", "2", "3"]);
  assert.deepEqual(msgs("found"), ["Debian.yml"]);
  assert.deepEqual(msgs("seq"), ["web01", "web02", "web03"]);
  assert.deepEqual(msgs("sub"), ["a:x", "a:y", "b:z"]);
  assert.deepEqual(msgs("together"), ["a1", "b2"]);
  assert.deepEqual(msgs("nested"), ["a1", "a2", "b1", "b2"]);
  const e = await loadError(`- hosts: all\n  tasks:\n    - { debug: { msg: x }, with_dcit: { a: 1 } }\n`);
  assert.match(e.message, /unknown loop 'with_dcit'.*with_dict/);
});

test("an Ansible argument hoist does not implement loads, fails only where reached, and its harmless values pass", async () => {
  const out = await runPlaybook(`- hosts: all
  gather_facts: false
  tasks:
    - { name: redhat only, package: { name: nginx, enablerepo: epel }, when: false }
    - { name: reached, file: { path: /tmp/x, state: touch, modification_time: "202401010000" }, ignore_errors: true }
    - { name: harmless, assert: { that: ["1 == 1"], quiet: true, fail_msg: [a, b] } }
`);
  assert.equal(out.byTask("redhat only").status, "skipped");
  assert.match(
    String(out.byTask("reached").msg),
    /argument 'modification_time' is not implemented by hoist \(file times are not set by hoist\); this host reached it/,
  );
  assert.equal(out.byTask("harmless").status, "ok");
});

test("environment: of the play, a block and the task reach the task's commands, names checked", async () => {
  const out = await runPlaybook(`- hosts: all
  gather_facts: false
  environment: { PLAY: p, SHARED: play }
  vars: { v: "x y" }
  tasks:
    - block:
        - name: env
          command: { argv: [sh, -c, 'echo "$PLAY $BLOCK $TASK $SHARED"'] }
          environment: { TASK: "{{ v }}", SHARED: task }
      environment: { BLOCK: b }
    - name: bad name
      command: { argv: ["true"] }
      environment: { "-i": x }
      ignore_errors: true
`);
  assert.equal(String(out.byTask("env").values.stdout), "p b x y task");
  assert.match(String(out.byTask("bad name").msg), /'-i' is not a variable name/);
});

test("a free-form command keeps Ansible's inline arguments out of the command (creates=, chdir=)", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "made"), "");
  const out = await runPlaybook(
    `- hosts: all\n  gather_facts: false\n  tasks:\n    - { name: once, command: "touch never creates=${dir}/made chdir=${dir}" }\n    - { name: here, command: "pwd chdir=${dir}", changed_when: false }\n`,
  );
  assert.equal(out.byTask("once").status, "ok", String(out.byTask("once").msg));
  assert.equal(String(out.byTask("here").values.stdout), dir);
});

test("check mode: a check_mode: false command that fails before an earlier planned change is applied is unknown, not failed", async () => {
  const dir = tempDir();
  const pb = `- hosts: all\n  gather_facts: false\n  tasks:\n    - { name: made, file: { path: "${dir}/tool", content: "x" } }\n    - { name: used, command: { argv: [cat, "${dir}/tool"] }, check_mode: false, changed_when: false }\n`;
  const check = await runPlaybook(pb, { check: true });
  assert.equal(check.byTask("used").status, "unknown", String(check.byTask("used").msg));
  const run = await runPlaybook(pb);
  assert.equal(run.byTask("used").status, "ok");
  const alone = await runPlaybook(
    `- hosts: all\n  gather_facts: false\n  tasks:\n    - { name: used, command: { argv: [cat, "${dir}/none"] }, check_mode: false }\n`,
    { check: true },
  );
  assert.equal(alone.byTask("used").status, "failed", "nothing was planned before it: the failure is the real run's");
});

test("with_first_found under include_vars looks in the role's vars/, as Ansible's lookup does for that action", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "roles", "r", "tasks"), { recursive: true });
  mkdirSync(join(dir, "roles", "r", "vars"), { recursive: true });
  writeFileSync(join(dir, "roles", "r", "vars", "default.yml"), "picked: default\n");
  writeFileSync(
    join(dir, "roles", "r", "tasks", "main.yml"),
    `- include_vars: "{{ item }}"\n  with_first_found: ["Nope.yml", "default.yml"]\n- { name: said, debug: { msg: "{{ picked }}" } }\n`,
  );
  writeFileSync(join(dir, "site.yml"), "- hosts: all\n  gather_facts: false\n  roles: [r]\n");
  const out = await createRun({ playbook: join(dir, "site.yml"), connect: async (h) => new LocalConnection(h) });
  assert.equal(out.byTask("said").msg, "default");
});
