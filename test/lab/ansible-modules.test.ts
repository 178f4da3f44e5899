/**
 * Modules against the oracle on the same real host: ansible-core's own module
 * (run ad hoc over SSH from the oracle's virtualenv) and hoist's read the same
 * lab host, and every key hoist reports must equal Ansible's.
 */
import assert from "node:assert/strict";
import { labSession, labTest } from "./lab-session.ts";
import { ansibleModule, ansiblePlaybook } from "../oracle.ts";

// In the lab's repository: sudo for become, python3-apt for ansible-core's package_facts (which fails without it).
const lab = labSession("oracle", 2, ["sudo", "python3-apt"]);

/** Runs one hoist task and returns what it registered. */
async function hoistResult(task: string): Promise<Record<string, unknown>> {
  const out = await lab.run(`- hosts: node1\n  gather_facts: false\n  tasks:\n    - name: probe\n      ${task}\n      register: r\n`);
  return out.byTask("probe").values as Record<string, unknown>;
}

labTest("stat reports what ansible-core's stat reports, key for key, for files, directories, links and missing paths", async () => {
  await lab.sh("node1", "printf 'secret\\n' > /root/s && chmod 0640 /root/s && ln -sfn s /root/l && ln -sfn /nope /root/dangling && mkdir -p /root/d");
  const cases: Record<string, unknown>[] = [
    { path: "/root/s" },
    { path: "/root/d" },
    { path: "/root/l" },
    { path: "/root/l", follow: true, checksum_algorithm: "sha256" },
    { path: "/root/dangling" },
    { path: "/root/missing" },
    { path: "/root/s", get_checksum: false },
  ];
  let keys = 0;
  for (const args of cases) {
    const mine = (await hoistResult(`stat: ${JSON.stringify(args)}`)).stat as Record<string, unknown>;
    const theirs = (await ansibleModule(lab.lab.inventory, "node1", "stat", args, String(lab.vars("node1").hoist_known_hosts))).stat as Record<string, unknown>;
    for (const [k, v] of Object.entries(mine)) {
      assert.deepEqual(v, theirs[k], `stat ${JSON.stringify(args)}: '${k}' is ${JSON.stringify(v)} in hoist, ${JSON.stringify(theirs[k])} in ansible-core`);
      keys++;
    }
    assert.equal(mine.exists, theirs.exists);
  }
  console.log(`ansible oracle: stat: ${cases.length} paths, ${keys} keys equal to ansible-core's`);
});

/** Accounts and keys from one playbook, run by hoist on node1 and by ansible-playbook on node2. */
const ACCOUNTS = (host: string) => `- hosts: ${host}
  gather_facts: false
  tasks:
    - group: { name: robertdb, gid: 1024 }
    - group: { name: mywheel }
    - group: { name: sysgrp, system: true }
    - user: { name: robertdb, uid: 1024, group: robertdb, groups: users, comment: Robert de Bock, expires: -1, shell: /bin/bash }
    - user: { name: robert.d.b, uid: 1025, group: robertdb, groups: [users, mywheel], append: true, password_expire_max: 9 }
    - user: { name: passuser, password: "$6$mysecretsalt$qJbapG68nyRab3gxvKWPUcs2g3t0oMHSHMnSKecYNpSi3CuZm.GbBqXO8BE6EI6P1JUefhA0qvD7b5LSh./PU1", update_password: on_create }
    - user: { name: systemuser, system: true, create_home: false, shell: /usr/sbin/nologin }
    - user: { name: deep, home: /srv/people/deep, expires: 1893456000 }
    - user: { name: locked, password_lock: true, groups: "users,mywheel" }
    - getent: { database: passwd, key: robertdb }
    - file: { path: "{{ ansible_facts.getent_passwd.robertdb[4] }}/.ssh", state: directory, mode: "0700", owner: robertdb }
    - authorized_key: { user: robertdb, key: "ssh-rsa ABC123" }
    - authorized_key: { user: robertdb, key: "ssh-ed25519 AAAAC3Nza1 laptop", key_options: 'no-port-forwarding,from="10.0.0.0/8"' }
    - authorized_key: { user: deep, key: "ssh-rsa ABC1234\\nssh-rsa ABC12345 second", exclusive: true }
    - authorized_key: { user: robertdb, key: "ssh-rsa XYZYX54321", state: absent }
    - user: { name: gone, state: absent, remove: true }
`;

/** The accounts as plain commands read them back (the password hash by digest: the same on both hosts or not). */
async function accounts(host: string): Promise<string> {
  const names = "robertdb robert.d.b passuser systemuser deep locked gone";
  return lab.sh(
    host,
    `for u in ${names}; do getent passwd $u || echo "no $u"; getent shadow $u | awk -F: '{ print $1, substr($2, 1, 1), length($2), $4, $5, $6, $7, $8 }'; id $u 2>/dev/null; done;
     getent shadow passuser | cut -d: -f2 | sha256sum; getent group robertdb mywheel sysgrp users;
     for d in /home/robertdb /home/robertdb/.ssh /home/robertdb/.ssh/authorized_keys /srv/people /srv/people/deep /home/deep /home/systemuser /home/locked; do
       [ -e $d ] && stat -c '%n %a %U %G' $d || echo "no $d"; done;
     sha256sum /home/robertdb/.ssh/authorized_keys /srv/people/deep/.ssh/authorized_keys; ls -a /srv/people/deep`,
  );
}

/**
 * One playbook run by hoist on node1 (check mode, run, re-run) and by ansible-playbook on node2 (run,
 * re-run): both converge, check mode predicts each change or says unknown, and `read` gives the same
 * on both hosts. Returns the run's task count, the lines compared and the unknowns, for the log.
 */
async function sameAsAnsible(playbook: (host: string) => string, read: (host: string) => Promise<string>, alwaysChanged: string[] = []) {
  const knownHosts = String(lab.vars("node1").hoist_known_hosts);
  const check = await lab.run(playbook("node1"), { check: true });
  const run = await lab.run(playbook("node1"));
  const again = await lab.run(playbook("node1"));
  const theirs = await ansiblePlaybook(lab.lab.inventory, playbook("node2"), "/nonexistent", knownHosts);
  assert.equal(theirs.code, 0, theirs.output.slice(-3000));
  const againAnsible = await ansiblePlaybook(lab.lab.inventory, playbook("node2"), "/nonexistent", knownHosts);
  assert.match(againAnsible.output, new RegExp(`node2\\s+: ok=\\d+\\s+changed=${alwaysChanged.length} `), "ansible-core's re-run changes nothing else");
  assert.deepEqual(
    run.results.filter((r) => r.result.status === "failed").map((r) => `${r.task}: ${r.result.msg}`),
    [],
  );
  assert.deepEqual(
    again.results.filter((r) => r.result.changed && !alwaysChanged.includes(r.task)).map((r) => r.task),
    [],
    "hoist's re-run changes nothing",
  );
  // Check mode: each task that the run changed was predicted changed, or said unknown (or skipped, as Ansible skips a module without check mode); none that did not.
  run.results.forEach((r, i) => {
    const predicted = check.results[i].result;
    assert.ok(predicted.status !== "failed", `check mode failed ${r.task}: ${predicted.msg}`);
    if (predicted.status !== "unknown" && predicted.status !== "skipped")
      assert.equal(predicted.changed, r.result.changed, `check mode on ${r.task}: ${predicted.status}, the run: ${r.result.status}`);
  });
  const mine = await read("node1");
  assert.equal(mine, await read("node2"));
  return { tasks: run.results.length, lines: mine.split("\n").length, unknown: check.results.filter((r) => r.result.status === "unknown").length };
}

labTest("accounts and keys (group, user, getent, authorized_key) end as ansible-core leaves them, with check mode, run and re-run", async () => {
  // Two accounts to remove and change that exist before, as on a host in service.
  for (const h of ["node1", "node2"]) await lab.sh(h, "useradd -m gone && useradd -m -s /bin/sh -G users locked");
  const r = await sameAsAnsible(ACCOUNTS, accounts);
  console.log(`ansible oracle: accounts: ${r.tasks} tasks, end state equal to ansible-core's (${r.lines} lines compared), check mode: ${r.unknown} unknown`);
});

/** Edits of text files (Python's regular expressions, INI files), and a temporary file. */
const EDITS = (host: string) => `- hosts: ${host}
  gather_facts: false
  tasks:
    - replace: { path: /srv/edit.conf, regexp: '^bind 127\\.0\\.0\\.1.*$', replace: 'bind 0.0.0.0' }
    - replace: { path: /srv/edit.conf, after: '\\[mysqld\\]', before: '\\[client\\]', regexp: '^#?max_connections = \\d+$', replace: 'max_connections = 500' }
    - replace: { path: /srv/edit.conf, regexp: '^name=(?P<first>alpha) (\\w+)$', replace: 'name=\\2 \\g<first>', mode: "0600" }
    - replace: { path: /srv/edit.conf, regexp: 'no such text', replace: 'x' }
    - lineinfile: { path: /srv/edit.conf, regexp: '^port (?P<n>\\d+)$', line: 'port 6380' }
    - lineinfile: { path: /srv/edit.conf, insertafter: '^(?P<s>#) settings', line: 'daemonize yes' }
    - ini_file: { path: /srv/app.ini, section: PHP, option: memory_limit, value: 256M }
    - ini_file: { path: /srv/app.ini, section: PHP, option: ";extension", value: "pdo", mode: "0600" }
    - ini_file: { path: /srv/app.ini, section: mysqld, option: skip-name-resolve, allow_no_value: true }
    - ini_file: { path: /srv/app.ini, section: mysqld, option: bind, values: ["127.0.0.1", "::1"] }
    - ini_file: { path: /srv/app.ini, section: Date, option: date.timezone, value: UTC, no_extra_spaces: true }
    - ini_file: { path: /srv/app.ini, section: old, state: absent }
    - ini_file: { path: /srv/app.ini, option: global_opt, value: "1" }
    - ini_file: { path: /srv/new.ini, section: s, option: a, value: b }
    - ini_file: { path: /srv/app.ini, section: PHP, option: short_open_tag, state: absent }
    - name: scratch
      tempfile: { state: directory, suffix: .build }
      register: scratch
    - name: inside
      copy: { dest: "{{ scratch.path }}/inside", content: "x\\n" }
      when: scratch.path is defined
`;

labTest("file edits (replace, lineinfile with Python's regular expressions, ini_file) and tempfile end as ansible-core leaves them", async () => {
  // The file as a host has it before (0640), edited in place.
  for (const h of ["node1", "node2"]) {
    // An INI file with a comment on top, a commented-out option, a section to remove and no final newline.
    await lab.sh(
      h,
      "printf '; top comment\\n[PHP]\\nengine = On\\n;memory_limit = 128M\\nshort_open_tag = Off\\n\\n[old]\\nx=1\\n[mysqld]\\nport=3306' > /srv/app.ini",
    );
    await lab.sh(
      h,
      "printf '# settings\\nbind 127.0.0.1 ::1\\nport 6379\\n[mysqld]\\nmax_connections = 100\\n#max_connections = 5\\n[client]\\nmax_connections = 7\\nname=alpha beta\\n' > /srv/edit.conf && chmod 0640 /srv/edit.conf",
    );
  }
  // A new temporary directory on every run, and a file in it: changed each time, by both tools.
  const read = (host: string) =>
    lab.sh(
      host,
      "stat -c '%n %a %U %G' /srv/edit.conf /srv/app.ini /srv/new.ini; cat /srv/edit.conf /srv/app.ini /srv/new.ini; for d in /tmp/ansible.*.build; do stat -c '%a %U %G' $d; ls $d; done | sort | uniq -c",
    );
  const r = await sameAsAnsible(EDITS, read, ["scratch", "inside"]);
  console.log(`ansible oracle: edits: ${r.tasks} tasks, end state equal to ansible-core's (${r.lines} lines compared)`);
});

labTest("service_facts and package_facts read what ansible-core's read on the same host, entry for entry (package origins aside)", async () => {
  const knownHosts = String(lab.vars("node1").hoist_known_hosts);
  await lab.sh("node1", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-apt >/dev/null");
  await lab.run(`- hosts: node1
  gather_facts: false
  tasks:
    - service_facts:
    - package_facts:
    - copy: { dest: /root/hoist-facts.json, content: "{{ {'services': services, 'packages': ansible_facts.packages} | to_json }}" }
`);
  const mine = JSON.parse(await lab.sh("node1", "cat /root/hoist-facts.json")) as {
    services: Record<string, unknown>;
    packages: Record<string, Record<string, unknown>[]>;
  };
  const services = (await ansibleModule(lab.lab.inventory, "node1", "service_facts", {}, knownHosts)).ansible_facts as { services: Record<string, unknown> };
  const packages = (await ansibleModule(lab.lab.inventory, "node1", "package_facts", {}, knownHosts)).ansible_facts as {
    packages: Record<string, Record<string, unknown>[]>;
  };
  assert.deepEqual(mine.services, services.services);
  // Ansible's `origin` comes from python3-apt's cache, which hoist does not read (a listed difference).
  const withoutOrigin = Object.fromEntries(Object.entries(packages.packages).map(([k, l]) => [k, l.map(({ origin: _, ...rest }) => rest)]));
  assert.deepEqual(mine.packages, withoutOrigin);
  assert.ok(Object.keys(mine.services).length > 20 && Object.keys(mine.packages).length > 100);
  console.log(
    `ansible oracle: service_facts ${Object.keys(mine.services).length} services, package_facts ${Object.keys(mine.packages).length} packages, equal to ansible-core's`,
  );
});
