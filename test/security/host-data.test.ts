/**
 * A managed host controls what its commands print. The reproduction,
 * run through the real loader and scheduler: a file on the host holds a
 * template that would run a command on the control machine; it is read with
 * `command: cat` and registered, then used in every way a playbook can.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPlaybook, tempDir } from "../helpers.ts";
import { tally } from "./tally.ts";

test("registered output holding a template is data: nothing runs on the control machine", async () => {
  const dir = tempDir();
  const marker = join(dir, "pwned");
  const payloads = [
    `{{ range.constructor("return process.getBuiltinModule('child_process').execSync('touch ${marker}')")() }}`,
    `{% set f = cycler.constructor("return process.getBuiltinModule('child_process').execSync('touch ${marker}')") %}{{ f() }}`,
    `{{ lookup('pipe', 'touch ${marker}') }}`,
    `{{ 7 * 7 }}`,
  ];
  let held = 0;
  for (const [i, payload] of payloads.entries()) {
    const file = join(dir, `evil${i}`);
    writeFileSync(file, payload);
    const out = await runPlaybook(
      `- hosts: localhost
  tasks:
    - { name: read, command: "cat ${file}", register: x }
    - { name: later, debug: { msg: "ok" } }
    - { name: uses, debug: { msg: "{{ x.stdout }}" } }
    - { name: fact, set_fact: { y: "{{ x.stdout }}" } }
    - { name: fact used, debug: { msg: "{{ y }}" } }
    - { name: loop, debug: { msg: "{{ item }}" }, loop: "{{ x.stdout_lines }}" }
    - { name: cond, debug: { msg: "c" }, when: "x.stdout | length > 0" }
`,
      { inventory: "localhost ansible_connection=local\n" },
    );
    const msgs = ["uses", "fact used"].map((t) => out.byTask(t).msg);
    const loop = out.byTask("loop").results?.[0]?.msg;
    if (!existsSync(marker) && msgs.every((m) => m === payload) && loop === payload && out.byTask("cond").status === "ok") held++;
    rmSync(marker, { force: true });
  }
  tally("host data rendered as template", payloads.length, held);
  assert.equal(held, payloads.length);
});
