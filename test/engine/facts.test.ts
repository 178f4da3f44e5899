/**
 * Host facts on the local connection (this machine is the host): gathered
 * once per play that reads them and never otherwise, gathered when a read
 * the play's text does not show happens, through hostvars for other hosts,
 * cached in JSON files, and delegated.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPlaybook, tempDir } from "../helpers.ts";

const TWO = "a ansible_connection=local\nb ansible_connection=local\n";
const gathered = (out: Awaited<ReturnType<typeof runPlaybook>>) =>
  out.results.filter((r) => r.task === "Gathering Facts").map((r) => `${r.host}:${r.result.status}`);

test("a play that reads facts gathers them first, once per host; one that does not gathers nothing", async () => {
  const out = await runPlaybook(`- hosts: all
  tasks:
    - { name: name, debug: { msg: "{{ ansible_hostname }} {{ ansible_facts.nodename }} {{ ansible_distribution }}" } }
    - { name: ip, debug: { msg: "{{ ansible_all_ipv4_addresses | length > 0 }} {{ ansible_memtotal_mb > 0 }}" } }
`);
  assert.deepEqual(gathered(out), ["localhost:ok"]);
  assert.match(String(out.byTask("name").values.msg), new RegExp(`^${hostname().split(".")[0]} \\S+ \\S+$`));
  assert.equal(out.byTask("ip").values.msg, "True True", "booleans print as Python prints them (Ansible)");
  const none = await runPlaybook("- hosts: all\n  tasks:\n    - { debug: { msg: '{{ ansible_host | default(1) }}' } }\n");
  assert.deepEqual(gathered(none), [], "connection variables are not facts");
});

test("only the groups of the facts a play names are gathered; reading another fact later gathers its group then", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "mem.txt"), "{{ ansible_memtotal_mb }} MB\n");
  const out = await runPlaybook(`- hosts: all
  tasks:
    - { name: name, debug: { msg: "{{ ansible_hostname }}" } }
    - { name: mem, template: { src: "${dir}/mem.txt", dest: "${dir}/mem" } }
`);
  assert.deepEqual(gathered(out), ["localhost:ok"]);
  const known = out.hosts.get("localhost")!.hostFacts as { facts: Record<string, unknown>; groups: Set<string> };
  assert.deepEqual([...known.groups].sort(), ["hardware", "platform"], "platform first, hardware when the template read it");
  assert.ok(!("default_ipv4" in known.facts), "network was never read, never gathered");
  assert.match(readFileSync(join(dir, "mem"), "utf8"), /^\d+ MB\n$/);
});

test("gather_facts: false leaves facts undefined, as in Ansible", async () => {
  const out = await runPlaybook("- hosts: all\n  gather_facts: false\n  tasks:\n    - { name: n, debug: { msg: '{{ ansible_hostname }}' } }\n");
  assert.equal(out.byTask("n").status, "failed");
  assert.match(out.byTask("n").msg!, /'ansible_hostname' is undefined/);
});

test("a read the play's text does not show (a template outside templates/, another host's hostvars) gathers then", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "motd.txt"), "kernel {{ ansible_kernel }}\n");
  const out = await runPlaybook(
    `- hosts: a
  tasks:
    - { name: file, copy: { content: "{{ lookup('template', '${dir}/motd.txt') }}", dest: "${dir}/motd" } }
    - { name: other, debug: { msg: "{{ hostvars['b'].ansible_nodename }}" } }
`,
    { inventory: TWO },
  );
  assert.deepEqual(gathered(out), ["a:ok"], "the lookup is in the play's text");
  assert.match(readFileSync(join(dir, "motd"), "utf8"), /^kernel \S+\n$/);
  assert.equal(out.byTask("other").status, "ok", out.byTask("other").msg as string);
  const lazy = await runPlaybook(`- hosts: a\n  tasks:\n    - { name: t, template: { src: "${dir}/motd.txt", dest: "${dir}/motd2" } }\n`, { inventory: TWO });
  assert.deepEqual(gathered(lazy), [], "nothing in the play names a fact");
  assert.equal(lazy.byTask("t").status, "changed", lazy.byTask("t").msg as string);
  assert.match(readFileSync(join(dir, "motd2"), "utf8"), /^kernel \S+\n$/);
});

test("fact_caching jsonfile: facts written per host, reused while fresh, gathered again when stale", async () => {
  const dir = tempDir();
  const pb = "- hosts: all\n  tasks:\n    - { name: n, debug: { msg: '{{ ansible_hostname }}' } }\n";
  await runPlaybook(pb, { factCache: { dir, timeoutS: 3600 } });
  const file = join(dir, "localhost");
  const facts = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(facts.hostname, hostname().split(".")[0]);
  writeFileSync(file, JSON.stringify({ ...facts, hostname: "from-the-cache" }));
  assert.equal((await runPlaybook(pb, { factCache: { dir, timeoutS: 3600 } })).byTask("n").values.msg, "from-the-cache");
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await runPlaybook(pb, { factCache: { dir, timeoutS: 1 } })).byTask("n").values.msg, hostname().split(".")[0], "stale: gathered again");
});

test("setup with delegate_to and delegate_facts gives the delegate the facts; gather_subset is checked when the playbook loads", async () => {
  const out = await runPlaybook(
    `- hosts: a
  gather_facts: false
  tasks:
    - { setup: { gather_subset: ["!all"] }, delegate_to: b, delegate_facts: true }
    - { name: b, debug: { msg: "{{ hostvars['b'].ansible_facts.pkg_mgr is defined }}" } }
    - { name: a, debug: { msg: "{{ ansible_facts is defined }}" } }
`,
    { inventory: TWO },
  );
  assert.equal(out.byTask("b").values.msg, "true");
  assert.equal(out.byTask("a").values.msg, "false");
  await runPlaybook("- hosts: all\n  gather_subset: [netwrk]\n  tasks: []\n").then(
    () => assert.fail("a bad subset must not load"),
    (e: Error) => assert.match(e.message, /playbook\.yaml:2:\d+: .*did you mean 'network'/),
  );
});
