/**
 * Role argument specifications against ansible-core: one role with a
 * meta/argument_specs.yml, applied with each set of variables by hoist and
 * by ansible-playbook (both on this machine, `connection: local`): the role
 * runs, or fails validation, alike, with the same argument errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPlaybook, tempDir } from "../helpers.ts";
import { oraclePython } from "../oracle.ts";

const SPEC = `argument_specs:
  main:
    short_description: A role with a spec
    options:
      app_port: { type: int, required: true }
      state: { type: str, choices: [present, absent], default: present }
      enabled: { type: bool }
      names: { type: list, elements: str }
      users:
        type: list
        elements: dict
        options:
          name: { type: str, required: true }
          shell: { type: str, choices: [/bin/bash, /bin/sh] }
      ratio: { type: float }
      settings: { type: dict }
`;

const CASES: Record<string, unknown>[] = [
  { app_port: 80 },
  { app_port: "8080", enabled: "yes", names: "a,b" },
  {},
  { app_port: "x" },
  { app_port: 1, state: "gone" },
  { app_port: 1, enabled: "maybe" },
  { app_port: 1, users: [{ shell: "/bin/zsh" }] },
  { app_port: 1, names: [1, 2], ratio: "1.5", settings: "nope" },
  { app_port: 1, settings: "a=1 b=2", ratio: "x" },
  { app_port: 1.5 },
  { app_port: true },
  { app_port: "{{ 40 + 2 }}", state: "{{ 'absent' }}" },
];

/**
 * Two differences kept: ansible-core lists the valid booleans in a Python set's order, which changes
 * from run to run, and names a string from YAML by its internal class (`_AnsibleTaggedStr`), where
 * hoist says `str`.
 */
const comparable = (errors: string[]) =>
  errors.map((e) =>
    e
      .replace(/Valid booleans include: .*/, "Valid booleans include: …")
      .replace(/<class 'ansible\.module_utils\._internal\._datatag\._AnsibleTagged(\w+)'>/g, (_, t: string) => `<class '${t.toLowerCase()}'>`),
  );

test("a role's argument_specs: hoist validates its variables as ansible-core does, case for case", async () => {
  const dir = tempDir();
  const role = join(dir, "roles", "specced");
  for (const part of ["meta", "tasks"]) mkdirSync(join(role, part), { recursive: true });
  writeFileSync(join(role, "meta", "argument_specs.yml"), SPEC);
  writeFileSync(join(role, "tasks", "main.yml"), '- debug: { msg: "ran with {{ app_port }}" }\n');
  writeFileSync(join(dir, "hosts"), "localhost ansible_connection=local\n");
  const bin = join(oraclePython(), "..", "ansible-playbook");
  let failing = 0;
  for (const vars of CASES) {
    const playbook = `- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: specced\n      vars: ${JSON.stringify(vars)}\n`;
    writeFileSync(join(dir, "site.yml"), playbook);
    let out: string;
    try {
      out = execFileSync(bin, ["-i", join(dir, "hosts"), join(dir, "site.yml")], {
        env: {
          ...process.env,
          ANSIBLE_ROLES_PATH: join(dir, "roles"),
          ANSIBLE_STDOUT_CALLBACK: "json",
          ANSIBLE_LOAD_CALLBACK_PLUGINS: "1",
          ANSIBLE_PYTHON_INTERPRETER: "auto_silent",
        },
        encoding: "utf8",
      });
    } catch (e) {
      out = (e as { stdout: string }).stdout;
    }
    const theirs = JSON.parse(out.slice(out.indexOf("{"))).plays[0].tasks[0].hosts.localhost as { failed?: boolean; argument_errors?: string[] };
    const mine = await runPlaybook(playbook, { rolesPath: [join(dir, "roles")] });
    const first = mine.results[0].result;
    const what = JSON.stringify(vars);
    assert.equal(first.status === "failed", !!theirs.failed, `${what}: hoist ${first.status} (${first.msg}), ansible-core ${theirs.failed ? "failed" : "ok"}`);
    assert.deepEqual(comparable((first.values.argument_errors as string[]) ?? []), comparable(theirs.argument_errors ?? []), what);
    if (theirs.failed) failing++;
  }
  assert.ok(failing >= 6 && failing < CASES.length, "the cases hold both passes and failures");
  console.log(`ansible oracle: argument_specs: ${CASES.length} sets of variables, ${failing} refused, each alike with ansible-core's errors`);
});
