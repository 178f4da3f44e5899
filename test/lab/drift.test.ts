/**
 * `hoist drift` against real lab hosts: drift made by hand (a stopped unit,
 * an edited file, a kernel parameter) opens one GitHub issue, a new drifted
 * resource is commented on, and the issue closes once `hoist run` puts things
 * back — over the CLI, with the GitHub issue server of test/github (held to
 * GitHub's OpenAPI description) on loopback. Then the timer: installed in a
 * lab host running systemd, fired for real by its own schedule, kept from
 * overlapping by its lock, and removed again.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { labSession, labTest } from "./lab-session.ts";
import { startIssueServer, type IssueServer } from "../github/issue-server.ts";
import { hoistCli, tempDir } from "../helpers.ts";
import type { DriftReport } from "../../engine/drift/report.ts";

const root = join(fileURLToPath(import.meta.url), "..", "..", "..", "..");
// The timer runs hoist inside a lab host: this Node and this checkout, read-only.
const lab = labSession("dtest", 2, [], { binds: { "/opt/node/bin/node": process.execPath, "/opt/hoist": root } });

const SITE = `- hosts: lab
  tasks:
    - name: motd
      file: { path: /etc/motd, content: "managed by hoist\\n" }
    - name: forwarding
      sysctl: { name: net.ipv4.ip_forward, value: 1 }
    - name: sleeper
      systemd:
        name: sleeper
        content: "[Service]\\nExecStart=/bin/sleep infinity\\n[Install]\\nWantedBy=multi-user.target\\n"
        state: started
        enabled: true
    - name: tools
      apt: { name: jq, update_cache: true }
`;

labTest("drift on lab hosts opens one issue, comments when another resource drifts, and closes it once the run puts things back", async () => {
  const gh: IssueServer = await startIssueServer("acme", "infra");
  try {
    const dir = tempDir();
    const pb = join(dir, "site.yaml");
    writeFileSync(pb, SITE);
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, gh.token, { mode: 0o600 });
    const inv = lab.lab.inventory;
    const drift = (...extra: string[]) =>
      hoistCli([
        "drift",
        pb,
        "-i",
        inv,
        "--state-dir",
        join(dir, "state"),
        "--report",
        "github:acme/infra",
        "--github-url",
        gh.url,
        "--github-token-file",
        tokenFile,
        ...extra,
      ]);

    const applied = await hoistCli(["run", pb, "-i", inv]);
    assert.equal(applied.status, 0, applied.stdout);
    const clean = await drift();
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /^CLEAN: no drift/, "a cache update on every run is not drift");
    assert.match(clean.stderr, /^github: none$/m);
    console.log(`    drift: a clean drift run on 2 lab hosts took ${clean.ms} ms (CLI, start-up included)`);

    await lab.sh("node1", "systemctl stop sleeper");
    await lab.sh("node2", "echo 'edited by hand' > /etc/motd");
    const first = await drift("--json");
    assert.equal(first.status, 2, first.stderr);
    const report = JSON.parse(first.stdout) as DriftReport;
    assert.deepEqual(
      report.drift.map((i) => [i.host, i.resource, i.field, i.where]),
      [
        ["node1", "unit:sleeper.service", "state", `${pb}:7:1`],
        ["node2", "file:/etc/motd", "content", `${pb}:3:1`],
      ],
    );
    assert.match(first.stderr, /^github: created issue #1 /m);
    const issue = gh.issues.get(1)!;
    assert.match(issue.body!, /\| `node1` \| `unit:sleeper.service` \| `state` \| `active` \| `(inactive|failed)` \| `sleeper` at `[^`]+site.yaml:7:1` \|/);
    assert.match(issue.body!, /\| `node2` \| `file:\/etc\/motd` \| `content` \| `managed by hoist⏎` \| `edited by hand⏎` \|/);

    await lab.sh("node2", "sysctl -qw net.ipv4.ip_forward=0");
    const second = await drift();
    assert.equal(second.status, 2);
    assert.match(second.stderr, /^github: commented issue #1 /m);
    assert.match(issue.comments.at(-1)!, /Now drifting:\n- `node2 sysctl:net.ipv4.ip_forward`/);
    assert.match(second.stdout, /sysctl:net.ipv4.ip_forward {2}live value: declared 1, found 0/);

    assert.equal((await hoistCli(["run", pb, "-i", inv])).status, 0);
    const fixed = await drift();
    assert.equal(fixed.status, 0, fixed.stdout);
    assert.match(fixed.stderr, /^github: closed issue #1 /m);
    assert.equal(issue.state, "closed");
    assert.equal(gh.issues.size, 1);
    const history = await hoistCli(["drift", pb, "-i", inv, "--state-dir", join(dir, "state"), "--history"]);
    assert.match(history.stdout, /node1 {2}unit:sleeper.service state {2}from \S+ to \S+ \(2 runs\)/);
    assert.deepEqual(gh.violations, []);
  } finally {
    await gh.close();
  }
});

labTest("the timer: installed in a host with systemd, fired by its schedule, never overlapping, removed", async () => {
  const sh = (cmd: string) => lab.sh("node1", cmd);
  // The translation of cron schedules, checked by systemd itself.
  const { parseSchedule } = await import("../../engine/drift/schedule.ts");
  for (const cron of ["*/30 * * * *", "0 6 * * 1-5", "15 2 1 jan,jul *", "@weekly", "5,35 */4 * * *"]) {
    const onCalendar = parseSchedule(cron).onCalendar;
    await sh(`systemd-analyze calendar '${onCalendar}' >/dev/null`).catch((e: Error) => assert.fail(`${cron} → ${onCalendar}: ${e.message}`));
  }
  await sh(
    "mkdir -p /root/d && printf '%s\\n' 'localhost ansible_connection=local' > /root/d/hosts && printf '%s\\n' '- hosts: localhost' '  gather_facts: false' '  tasks:' '    - { name: flag, file: { path: /root/d/flag, content: \"on\\\\n\" } }' > /root/d/site.yaml",
  );
  const installed = await sh(
    "cd /root/d && /opt/node/bin/node /opt/hoist/bin/hoist.js drift site.yaml -i hosts --state-dir /var/lib/hoist -e note=s3cr3t-value --install-timer '*:*:0/2'",
  );
  const name = /installed (hoist-drift-[0-9a-f]{16})/.exec(installed)![1];
  assert.match(
    installed,
    /ExecStart="\/bin\/sh" "-c" ".*" "hoist-drift" "\/run\/hoist\/hoist-drift-[0-9a-f]{16}.lock" "3600" "\/opt\/node\/bin\/node" "\/opt\/hoist\/bin\/hoist.js" "drift" "\/root\/d\/site.yaml" "--inventory=\/root\/d\/hosts"/,
  );
  // -e values may be secrets: in a private file the unit names, not in the unit; the unit itself private.
  assert.doesNotMatch(installed, /s3cr3t-value/);
  assert.match(installed, /"--extra-vars=@\/var\/lib\/hoist\/drift\/[0-9a-f]{16}\/timer-extra-vars.json"/);
  assert.equal(await sh(`stat -c %a /etc/systemd/system/${name}.service /var/lib/hoist/drift/*/timer-extra-vars.json`), "600\n600\n");
  assert.match(await sh(`systemctl is-enabled ${name}.timer; systemctl is-active ${name}.timer`), /^enabled\nactive\n$/);
  const runs = async () => Number((await sh(`ls /var/lib/hoist/drift/*/ 2>/dev/null | grep -c json || true`)).trim());
  const until = async (ok: () => Promise<boolean>, what: string) => {
    for (let t = 0; t < 60; t++) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.fail(`timed out waiting until ${what}`);
  };
  await until(async () => (await runs()) >= 2, "the timer fired twice");
  const journal = await sh(`journalctl -u ${name}.service --no-pager -o cat`);
  assert.match(journal, /DRIFT: 1 resource drifted on 1 host/, "the report went to the journal");
  assert.doesNotMatch(await sh(`systemctl is-failed ${name}.service || true`), /^failed/, "drift (exit 2) is not a unit failure");

  // While another run holds the lock, firings start nothing and exit 75. The lock is taken once a firing under
  // way has let go of it (flock waits) and held until released, so no fixed sleep decides the outcome.
  await sh(
    `rm -f /tmp/locked /tmp/unlock; (flock /run/hoist/${name}.lock sh -c 'touch /tmp/locked; while [ ! -e /tmp/unlock ]; do sleep 0.2; done' >/dev/null 2>&1 &)`,
  );
  await until(async () => (await sh("test -e /tmp/locked && echo yes || true")).trim() === "yes", "the lock is held");
  const before = await runs();
  const status = () => sh(`systemctl show -p ExecMainStatus --value ${name}.service`).then((s) => s.trim());
  await until(async () => (await status()) === "75", "a firing found the lock held and said so (exit 75)");
  assert.equal(await runs(), before, "no run while the lock is held");
  // Held past the limit (its run started over an hour ago): the firing fails, where systemctl --failed shows it.
  await sh(`touch -d '-2 hours' /run/hoist/${name}.lock`);
  await until(async () => (await status()) === "1", "a firing found the lock held for too long and failed");
  assert.match(await sh(`systemctl is-failed ${name}.service || true`), /^failed/);
  assert.match(await sh(`journalctl -u ${name}.service --no-pager -o cat`), /it is stuck/);
  await sh("touch /tmp/unlock");
  await until(async () => (await runs()) > before, "runs resume once the lock is free");

  const removed = await sh(`cd /root/d && /opt/node/bin/node /opt/hoist/bin/hoist.js drift site.yaml -i hosts --uninstall-timer`);
  assert.match(removed, new RegExp(`removed /etc/systemd/system/${name}.timer, /etc/systemd/system/${name}.service`));
  assert.equal((await sh(`systemctl list-timers --all --no-legend | grep -c ${name} || true`)).trim(), "0");
});
