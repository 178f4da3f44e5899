/**
 * The host modules on real lab hosts: real dpkg and apt (from the lab's own
 * repository), real systemd, real /proc/sys, real swap. Each test changes real
 * state on two hosts at once and reads it back independently of the module,
 * through the check → apply → re-run → tamper → check cycle.
 */
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { labSession, labTest } from "./lab-session.ts";

const lab = labSession("mtest", 2);
const HOSTS = ["node1", "node2"];
const changedOn = (out: Awaited<ReturnType<typeof lab.run>>, task: string) => HOSTS.filter((h) => out.byTask(task, h).status === "changed");

labTest("check mode tells the truth: a unit a planned install may bring is unknown, a misspelt one fails, and the real run agrees", async () => {
  const pb = `- hosts: lab
  tasks:
    - { name: forward, sysctl: { name: net.ipv4.ip_forward, value: 1 } }
    - { name: misspelt, systemd: { name: haprxy, state: started }, ignore_errors: true }
    - { name: haproxy, apt: { name: haproxy } }
    - { name: running, systemd: { name: haproxy, state: started, enabled: true } }
    - { name: config dir, file: { path: /etc/haproxy/conf.d, state: directory } }
    - { name: our dir, file: { path: /srv/truth, state: directory } }
    - { name: our file, file: { path: /srv/truth/f, content: "x\\n" } }
`;
  const check = await lab.run(pb, { check: true });
  for (const h of HOSTS) {
    // An unrelated pending change (sysctl) does not make a misspelt unit plausible: it fails, as the real run will.
    assert.equal(check.byTask("misspelt", h).status, "failed", check.byTask("misspelt", h).msg as string);
    assert.ok(
      check.byTask("haproxy", h).changes.some((c) => c.resource === "package:liblua5.3-0" && c.field === "version (dependency)"),
      "apt's simulation names the dependencies",
    );
    for (const t of ["running", "config dir"]) {
      assert.equal(check.byTask(t, h).status, "unknown", `${t}: ${check.byTask(t, h).msg}`);
      assert.match(check.byTask(t, h).msg!, /cannot know until an earlier change is applied: .* depends on 'haproxy' \(playbook\.yaml:\d+\)/);
    }
    for (const t of ["forward", "haproxy", "our dir", "our file"]) assert.equal(check.byTask(t, h).status, "changed", t);
  }
  assert.equal(await lab.sh("node1", "dpkg-query -W -f='${db:Status-Abbrev}' haproxy 2>/dev/null || echo none"), "none\n", "check installed nothing");
  const real = await lab.run(pb);
  // Every task check mode predicted, the real run did; the unknown ones it could not have said.
  const predicted = check.results.filter((r) => r.result.status !== "unknown");
  const wrong = predicted.filter((r) => real.byTask(r.task, r.host).status !== r.result.status);
  console.log(
    `check-mode truth: ${predicted.length - wrong.length} of ${check.results.length} task results predicted exactly, ${check.results.length - predicted.length} unknown, ${wrong.length} wrong`,
  );
  assert.deepEqual(
    wrong.map((r) => `${r.task}@${r.host}: check ${r.result.status}, real ${real.byTask(r.task, r.host).status}`),
    [],
  );
  await lab.run(`- hosts: lab\n  tasks:\n    - { apt: { name: haproxy, state: absent, purge: true } }\n    - { file: { path: /srv/truth, state: absent } }\n`);
});

labTest("check mode: a unit file written by one task and started by the next is unknown, never failed; the run starts it", async () => {
  const pb = `- hosts: lab
  tasks:
    - name: unit file
      copy: { dest: /etc/systemd/system/truth-sleeper.service, content: "[Service]\\nExecStart=/bin/sleep infinity\\n" }
    - { name: started, systemd: { name: truth-sleeper, state: started, daemon_reload: true } }
`;
  const check = await lab.run(pb, { check: true });
  for (const h of HOSTS) {
    assert.equal(check.byTask("unit file", h).status, "changed");
    assert.equal(check.byTask("started", h).status, "unknown", check.byTask("started", h).msg as string);
    assert.match(check.byTask("started", h).msg!, /depends on 'unit file'/);
  }
  const real = await lab.run(pb);
  for (const h of HOSTS) assert.equal(real.byTask("started", h).status, "changed", real.byTask("started", h).msg as string);
  assert.equal(await lab.sh("node1", "systemctl is-active truth-sleeper"), "active\n");
  await lab.run(
    "- hosts: lab\n  tasks:\n    - { systemd: { name: truth-sleeper, state: stopped } }\n    - { file: { path: /etc/systemd/system/truth-sleeper.service, state: absent } }\n",
  );
});

labTest("apt: one transaction from the lab repository, re-run, tamper, remove", async () => {
  const pb = `- hosts: lab
  tasks:
    - { name: tools, apt: { name: [jq, tree, socat], cache_valid_time: 3600 } }
`;
  const check = await lab.run(pb, { check: true });
  assert.deepEqual(changedOn(check, "tools"), HOSTS);
  const apply = await lab.run(pb);
  assert.deepEqual(changedOn(apply, "tools"), HOSTS, apply.byTask("tools", "node1").msg as string);
  for (const h of HOSTS) {
    assert.equal(
      await lab.sh(h, "dpkg-query -W -f='${Package} ${db:Status-Abbrev}\\n' jq tree socat libjq1 | sort"),
      "jq ii \nlibjq1 ii \nsocat ii \ntree ii \n",
    );
  }
  const again = await lab.run(pb);
  assert.deepEqual(changedOn(again, "tools"), []);
  // As in Ansible: with packages, refreshing the lists is upkeep, so a playbook that updates the cache on every run is not drift.
  const refresh = `- hosts: lab\n  tasks:\n    - { name: refresh, apt: { name: [jq, tree], update_cache: true } }\n`;
  await lab.sh("node1", "touch -d '2 hours ago' /var/lib/apt/lists");
  assert.deepEqual(changedOn(await lab.run(refresh, { check: true }), "refresh"), [], "check mode: the lists would be refreshed, nothing changes");
  const refreshed = await lab.run(refresh);
  assert.deepEqual(changedOn(refreshed, "refresh"), [], "the update ran and the task is ok");
  assert.ok(Number(await lab.sh("node1", "echo $(( $(date +%s) - $(stat -c %Y /var/lib/apt/lists) ))")) < 600, "apt-get update did run");
  const alone = await lab.run(`- hosts: node1\n  tasks:\n    - { name: lists, apt: { update_cache: true } }\n`);
  assert.equal(alone.byTask("lists").status, "changed", "a task that only updates the cache reports the update, as Ansible does");
  await lab.sh("node2", "apt-get remove -y -q tree >/dev/null 2>&1");
  const drift = await lab.run(pb, { check: true });
  assert.deepEqual(changedOn(drift, "tools"), ["node2"]);
  assert.deepEqual(
    drift.byTask("tools", "node2").changes.map((c) => [c.resource, c.field, c.before]),
    [["package:tree", "version", null]],
  );
  const removed = await lab.run(`- hosts: lab\n  tasks:\n    - { name: gone, apt: { name: [tree, socat], state: absent, purge: true } }\n`);
  assert.deepEqual(changedOn(removed, "gone"), HOSTS);
  assert.equal(await lab.sh("node1", "dpkg-query -W -f='${db:Status-Abbrev}' socat 2>/dev/null || echo none"), "none\n");
});

labTest("package: the host's own manager (apt here), Ansible's state names and key=value form, re-run, removed", async () => {
  const pb = (state: string) => `- hosts: lab\n  tasks:\n    - { name: tree, package: "name=tree state=${state}" }\n`;
  assert.deepEqual(changedOn(await lab.run(pb("installed"), { check: true }), "tree"), HOSTS, "check mode: apt's simulation says it would install");
  const apply = await lab.run(pb("installed"));
  assert.deepEqual(changedOn(apply, "tree"), HOSTS, apply.byTask("tree", "node1").msg as string);
  for (const h of HOSTS) assert.equal(await lab.sh(h, "dpkg-query -W -f='${db:Status-Abbrev}' tree"), "ii ");
  assert.deepEqual(changedOn(await lab.run(pb("present")), "tree"), [], "installed and present are one state");
  assert.deepEqual(changedOn(await lab.run(pb("removed")), "tree"), HOSTS);
  assert.equal(await lab.sh("node1", "dpkg-query -W -f='${db:Status-Abbrev}' tree 2>/dev/null | grep -q '^ii' && echo installed || echo gone"), "gone\n");
});

labTest("systemd: a unit file, started and enabled, restarted by a handler, drift detected", async () => {
  const pb = (greeting: string) => `- hosts: lab
  tasks:
    - name: config
      file: { path: /etc/sleeper.conf, content: "${greeting}\\n" }
      notify: restart sleeper
    - name: unit
      systemd:
        name: sleeper
        content: |
          [Unit]
          Description=sleeps, reading /etc/sleeper.conf
          [Service]
          ExecStart=/bin/sh -c 'cat /etc/sleeper.conf; exec sleep infinity'
          [Install]
          WantedBy=multi-user.target
        state: started
        enabled: true
  handlers:
    - name: restart sleeper
      systemd: { name: sleeper, state: restarted }
`;
  const first = await lab.run(pb("hello"));
  assert.deepEqual(changedOn(first, "unit"), HOSTS, first.byTask("unit", "node1").msg as string);
  for (const h of HOSTS) assert.equal(await lab.sh(h, "systemctl is-active sleeper; systemctl is-enabled sleeper"), "active\nenabled\n");
  const pid = (h: string) => lab.sh(h, "systemctl show -p MainPID --value sleeper");
  const before = await pid("node1");
  const again = await lab.run(pb("hello"));
  for (const h of HOSTS) assert.equal(again.stats.get(h)!.changed, 0);
  assert.equal(await pid("node1"), before, "no restart without a change");
  const changed = await lab.run(pb("bonjour"));
  assert.deepEqual(changedOn(changed, "restart sleeper"), HOSTS, "the handler ran");
  assert.notEqual(await pid("node1"), before, "restarted by the handler");
  await lab.sh("node1", "systemctl stop sleeper");
  // A stop that lands while the shell is still starting leaves the unit "failed", not "inactive": either way, what the host says.
  const stopped = (await lab.sh("node1", "systemctl is-active sleeper || true")).trim();
  assert.ok(["inactive", "failed"].includes(stopped), stopped);
  const drift = await lab.run(pb("bonjour"), { check: true });
  assert.deepEqual(changedOn(drift, "unit"), ["node1"], JSON.stringify(drift.byTask("unit", "node2")));
  assert.deepEqual(drift.byTask("unit", "node1").changes, [{ resource: "unit:sleeper.service", field: "state", before: stopped, after: "active" }]);
  const bad = await lab.run(`- hosts: node1\n  tasks:\n    - { name: broken, systemd: { name: broken, content: "[Service]\\nExecStart=relative/path\\n" } }\n`);
  assert.equal(bad.byTask("broken", "node1").status, "failed");
  assert.match(bad.byTask("broken", "node1").msg!, /validation failed/);
  assert.equal(await lab.sh("node1", "test -e /etc/systemd/system/broken.service && echo yes || echo no"), "no\n", "an invalid unit never lands");

  // systemd skips a unit whose start condition fails and `systemctl start` still exits 0: the task says so.
  const skipped = await lab.run(
    `- hosts: node1\n  tasks:\n    - { name: unmet, systemd: { name: unmet, state: started, content: "[Unit]\\nConditionPathExists=/nonexistent\\n[Service]\\nExecStart=/bin/sleep infinity\\n" } }\n`,
  );
  assert.equal(skipped.byTask("unmet", "node1").status, "failed");
  assert.match(skipped.byTask("unmet", "node1").msg!, /unmet.service did not start: its start conditions are not met/);
});

labTest("systemd: daemon_reload alone reloads exactly when a loaded unit's file changed on disk", async () => {
  const unit = "[Unit]\\nDescription=hoist reload\\n[Service]\\nType=oneshot\\nRemainAfterExit=yes\\nExecStart=/bin/true\\n";
  for (const h of HOSTS)
    await lab.sh(h, `printf '${unit}' > /etc/systemd/system/hoist-reload.service && systemctl daemon-reload && systemctl start hoist-reload`);
  const pb = "- hosts: lab\n  tasks:\n    - { name: reload, systemd: { daemon_reload: true } }\n";
  assert.deepEqual(changedOn(await lab.run(pb), "reload"), [], "nothing changed on disk: nothing to reload");
  await lab.sh("node1", "echo '# edited' >> /etc/systemd/system/hoist-reload.service");
  assert.deepEqual(changedOn(await lab.run(pb, { check: true }), "reload"), ["node1"], "check mode predicts the reload");
  assert.deepEqual(changedOn(await lab.run(pb), "reload"), ["node1"]);
  assert.equal(await lab.sh("node1", "systemctl show -p NeedDaemonReload --value hoist-reload"), "no\n");
  assert.deepEqual(changedOn(await lab.run(pb), "reload"), [], "re-run: nothing left to reload");
  for (const h of HOSTS) await lab.sh(h, "systemctl stop hoist-reload; rm /etc/systemd/system/hoist-reload.service; systemctl daemon-reload");
});

labTest("sysctl: live and persisted values, per host network namespace", async () => {
  const pb = `- hosts: lab
  tasks:
    - { name: forward, sysctl: { name: net.ipv4.ip_forward, value: 1, sysctl_file: /etc/sysctl.d/90-k8s.conf } }
    - { name: ports, sysctl: { name: net.ipv4.ip_local_port_range, value: "20000 40000", sysctl_file: /etc/sysctl.d/90-k8s.conf } }
`;
  const apply = await lab.run(pb);
  assert.deepEqual(changedOn(apply, "forward"), HOSTS, apply.byTask("forward", "node1").msg as string);
  for (const h of HOSTS) {
    assert.equal(await lab.sh(h, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ip_local_port_range"), "1\n20000\t40000\n");
    assert.equal(await lab.sh(h, "cat /etc/sysctl.d/90-k8s.conf"), "net.ipv4.ip_forward = 1\nnet.ipv4.ip_local_port_range = 20000 40000\n");
  }
  const again = await lab.run(pb);
  for (const h of HOSTS) assert.equal(again.stats.get(h)!.changed, 0);
  await lab.sh("node2", "sysctl -qw net.ipv4.ip_forward=0");
  assert.equal(await lab.sh("node1", "cat /proc/sys/net/ipv4/ip_forward"), "1\n", "each host has its own network namespace");
  const drift = await lab.run(pb, { check: true });
  assert.deepEqual(changedOn(drift, "forward"), ["node2"]);
  assert.deepEqual(drift.byTask("forward", "node2").changes, [{ resource: "sysctl:net.ipv4.ip_forward", field: "live value", before: "0", after: "1" }]);
});

labTest("swap: a swap file on, priority, re-run, tamper, then off for good", async () => {
  const path = "/swap/{{ hoist_lab }}-{{ inventory_hostname }}.swap";
  const pb = `- hosts: lab\n  tasks:\n    - { name: swap, swap: { state: present, path: "${path}", size: 16M, priority: 3 } }\n`;
  const check = await lab.run(pb, { check: true });
  assert.deepEqual(changedOn(check, "swap"), HOSTS);
  const apply = await lab.run(pb);
  assert.deepEqual(changedOn(apply, "swap"), HOSTS, apply.byTask("swap", "node1").msg as string);
  for (const h of HOSTS) {
    const swaps = await lab.sh(h, "cat /proc/swaps");
    assert.match(swaps, new RegExp(`/swap/mtest-${h}\\.swap\\s+file\\s+16380\\s+\\d+\\s+3\\n`));
    assert.ok(String(await lab.sh(h, "cat /etc/fstab")).includes(`/swap/mtest-${h}.swap none swap sw,pri=3 0 0\n`));
  }
  const again = await lab.run(pb);
  assert.deepEqual(changedOn(again, "swap"), []);
  await lab.sh("node1", "swapoff /swap/mtest-node1.swap");
  const drift = await lab.run(pb, { check: true });
  assert.deepEqual(changedOn(drift, "swap"), ["node1"]);
  const off = await lab.run(`- hosts: lab\n  tasks:\n    - { name: "off", swap: { state: "off" } }\n`);
  assert.deepEqual(changedOn(off, "off"), HOSTS);
  assert.deepEqual(
    off.byTask("off", "node1").changes.map((c) => c.field),
    ["content"],
    "node1's swap was off already: only its fstab line",
  );
  for (const h of HOSTS) {
    assert.ok(!String(await lab.sh(h, "cat /proc/swaps")).includes(`mtest-${h}`));
    assert.ok(String(await lab.sh(h, "cat /etc/fstab")).includes(`#/swap/mtest-${h}.swap none swap`));
  }
  const offAgain = await lab.run(`- hosts: lab\n  tasks:\n    - { name: "off", swap: { state: "off" } }\n`);
  assert.deepEqual(changedOn(offAgain, "off"), []);
});

labTest("file over SSH: lines in /etc/hosts, a validated write that fails leaves the old file, backup", async () => {
  const pb = (line: string) => `- hosts: lab
  tasks:
    - { name: hosts, file: { path: /etc/hosts, line: "10.0.0.1 master1", regexp: "\\\\smaster1$" } }
    - { name: json, file: { path: /etc/app.json, content: '${line}', validate: "jq . %s", backup: true } }
`;
  const apply = await lab.run(pb('{"a": 1}'));
  assert.deepEqual(changedOn(apply, "json"), HOSTS, apply.byTask("json", "node1").msg as string);
  assert.match(await lab.sh("node1", "cat /etc/hosts"), /\n10\.0\.0\.1 master1\n$/);
  const bad = await lab.run(pb('{"a": '));
  assert.equal(bad.byTask("json", "node1").status, "failed");
  assert.match(bad.byTask("json", "node1").msg!, /validation failed/);
  assert.equal(await lab.sh("node1", "cat /etc/app.json"), '{"a": 1}', "the old file is untouched");
  const good = await lab.run(pb('{"a": 2}'));
  assert.deepEqual(changedOn(good, "json"), HOSTS);
  assert.match(await lab.sh("node2", "cat /etc/app.json.*.bak"), /^\{"a": 1\}$/);
});

labTest("group: added with its GID, re-run, GID changed, a GID another group holds refused before anything is done, removed", async () => {
  const pb = (args: string) => `- hosts: lab
  tasks:
    - { name: g, group: ${args} }
`;
  const getent = async (h: string, key: string) => (await lab.sh(h, `getent group ${key} || echo none`)).trim();
  const check = await lab.run(pb("{ name: hoistgrp, gid: 2345 }"), { check: true });
  assert.deepEqual(changedOn(check, "g"), HOSTS);
  for (const h of HOSTS) assert.equal(await getent(h, "hoistgrp"), "none", "check mode added nothing");
  const real = await lab.run(pb("{ name: hoistgrp, gid: 2345 }"));
  assert.deepEqual(changedOn(real, "g"), HOSTS);
  for (const h of HOSTS) assert.equal(await getent(h, "hoistgrp"), "hoistgrp:x:2345:");
  const again = await lab.run(pb("{ name: hoistgrp, gid: 2345 }"));
  assert.deepEqual(changedOn(again, "g"), [], "the re-run changes nothing");
  // The real run agrees with what check mode predicted, on a host changed by hand meanwhile.
  await lab.sh("node2", "groupmod -g 2346 hoistgrp");
  const drift = await lab.run(pb("{ name: hoistgrp, gid: 2345 }"), { check: true });
  assert.deepEqual(changedOn(drift, "g"), ["node2"]);
  assert.deepEqual(
    drift.byTask("g", "node2").changes.map((c) => [c.resource, c.field, c.before, c.after]),
    [["group:hoistgrp", "gid", 2346, 2345]],
  );
  assert.deepEqual(changedOn(await lab.run(pb("{ name: hoistgrp, gid: 2345 }")), "g"), ["node2"]);
  assert.equal(await getent("node2", "hoistgrp"), "hoistgrp:x:2345:");
  // A GID taken by another group: failed in check mode and in the run, and nothing made.
  const taken = pb("{ name: other, gid: 2345 }");
  for (const out of [await lab.run(taken, { check: true }), await lab.run(taken)])
    for (const h of HOSTS) {
      assert.equal(out.byTask("g", h).status, "failed");
      assert.match(out.byTask("g", h).msg!, /GID 2345 is group hoistgrp's/);
    }
  for (const h of HOSTS) assert.equal(await getent(h, "other"), "none");
  const gone = await lab.run(pb("{ name: hoistgrp, state: absent }"));
  assert.deepEqual(changedOn(gone, "g"), HOSTS);
  for (const h of HOSTS) assert.equal(await getent(h, "hoistgrp"), "none");
  assert.deepEqual(changedOn(await lab.run(pb("{ name: hoistgrp, state: absent }")), "g"), []);
});

labTest("every example playbook runs against the lab: check, apply, re-run changed=0", async () => {
  const dir = join(process.cwd(), "playbooks", "examples");
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    const pb = readFileSync(join(dir, file), "utf8");
    const check = await lab.run(pb, { check: true });
    const failed = check.results.filter((r) => r.result.status === "failed");
    assert.deepEqual(
      failed.map((r) => `${r.task}@${r.host}: ${r.result.msg}`),
      [],
      `${file} --check`,
    );
    const apply = await lab.run(pb);
    assert.deepEqual(
      apply.results.filter((r) => r.result.status === "failed").map((r) => `${r.task}@${r.host}: ${r.result.msg}`),
      [],
      file,
    );
    const again = await lab.run(pb);
    for (const h of HOSTS)
      assert.equal(again.stats.get(h)!.changed, 0, `${file} re-run on ${h}: ${again.results.filter((r) => r.result.changed).map((r) => r.task)}`);
  }
});
