import { test } from "node:test";
import assert from "node:assert/strict";
import { loadPlaybook } from "../../engine/load/playbook.ts";
import { InputError } from "../../engine/errors.ts";
import { modules, writePlaybook } from "../helpers.ts";

async function loadError(text: string): Promise<string> {
  const file = writePlaybook(text);
  try {
    await loadPlaybook(file, await modules());
  } catch (e) {
    assert.ok(e instanceof InputError);
    return (e as Error).message.replace(file, "PB");
  }
  throw new Error("expected an InputError");
}

test("a valid playbook loads with tasks, handlers and ids", async () => {
  const file = writePlaybook(`
- name: p
  hosts: all
  tasks:
    - { name: a, id: a, debug: { msg: x } }
    - { name: b, needs: [a], debug: { msg: y }, notify: h }
  handlers:
    - { name: h, debug: { msg: z } }
`);
  const [play] = await loadPlaybook(file, await modules());
  assert.equal(play.tasks.length, 2);
  assert.deepEqual(play.tasks[1].needs, ["a"]);
  assert.deepEqual(play.tasks[1].notify, ["h"]);
  assert.equal(play.handlers[0].module, "debug");
});

test("a misspelt module names file, line, column and the nearest module", async () => {
  const msg = await loadError(`- hosts: all
  tasks:
    - name: x
      fiel: { path: /tmp/x }
`);
  assert.equal(msg, "PB:4:7: unknown module or task keyword 'fiel' (did you mean 'file'?)");
});

test("a misspelt module argument is located and corrected", async () => {
  const msg = await loadError(`- hosts: all
  tasks:
    - file:
        pth: /tmp/x
`);
  assert.match(msg, /^PB:4:9: module 'file' 'pth': unknown key 'pth' \(did you mean 'path'\?\)/);
});

test("a wrong enum value suggests the nearest valid one", async () => {
  const msg = await loadError(`- hosts: all
  tasks:
    - file: { path: /x, state: directroy }
`);
  assert.match(msg, /^PB:3:32: module 'file' 'state': "directroy" is not one of .* \(did you mean 'directory'\?\)/);
});

test("a wrong play key is located", async () => {
  const msg = await loadError(`- hosts: all
  taks: []
`);
  assert.match(msg, /^PB:2:3: play 'taks': unknown key 'taks' \(did you mean 'tasks'\?\)/);
});

test("templated values pass type checks at load time", async () => {
  const file = writePlaybook(`- hosts: all
  tasks:
    - file: { path: /x, recurse: "{{ deep }}", state: directory }
`);
  await loadPlaybook(file, await modules());
});

test("needs on an unknown id is refused with a suggestion", async () => {
  const msg = await loadError(`- hosts: all
  tasks:
    - { id: token, debug: { msg: a } }
    - { needs: [tokn], debug: { msg: b } }
`);
  assert.match(msg, /^PB:4:7: needs unknown task id 'tokn' \(did you mean 'token'\?\)/);
});

test("dependency cycles are found at load time", async () => {
  const msg = await loadError(`- hosts: all
  tasks:
    - { id: a, needs: [b], debug: { msg: a } }
    - { id: b, needs: [a], debug: { msg: b } }
`);
  assert.match(msg, /task dependencies form a cycle: (a -> b -> a|b -> a -> b)/);
});

test("notify must match a handler", async () => {
  const msg = await loadError(`- hosts: all
  tasks:
    - { debug: { msg: a }, notify: restart haproxi }
  handlers:
    - { name: restart haproxy, debug: { msg: r } }
`);
  assert.match(msg, /notify 'restart haproxi' matches no handler \(did you mean 'restart haproxy'\?\)/);
});

test("invalid YAML is reported with its position", async () => {
  const msg = await loadError(`- hosts: all\n  tasks: [\n`);
  assert.match(msg, /^PB:\d+:\d+: invalid YAML/);
});

test("two modules in one task are refused", async () => {
  const msg = await loadError(`- hosts: all
  tasks:
    - { debug: { msg: a }, file: { path: /x } }
`);
  assert.match(msg, /exactly one module/);
});

test("include_tasks loads and validates the included file", async () => {
  const inc = writePlaybook(`- { name: inner, debug: { msg: i } }\n- { name: bad, comand: ls }\n`, "inc.yaml");
  const file = writePlaybook(`- hosts: all\n  tasks:\n    - include_tasks: ${inc}\n`);
  try {
    await loadPlaybook(file, await modules());
    assert.fail("should fail");
  } catch (e) {
    assert.match((e as Error).message, /inc\.yaml:2:16: unknown module or task keyword 'comand' \(did you mean 'command'\?\)/);
  }
});

test("Ansible collection names and key=value arguments are accepted", async () => {
  const file = writePlaybook(`- hosts: all
  tasks:
    - ansible.builtin.file: path=/tmp/x state=touch
    - ansible.builtin.debug: msg="hello there"
`);
  const [play] = await loadPlaybook(file, await modules());
  assert.deepEqual(play.tasks[0].args, { path: "/tmp/x", state: "touch" });
  assert.deepEqual(play.tasks[1].args, { msg: "hello there" });
});
