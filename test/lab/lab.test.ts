/**
 * Integration tests against real lab hosts (systemd-nspawn containers with
 * sshd). Needs root on Linux with systemd-nspawn; elsewhere every test here is
 * reported as skipped (SKIPPED), never as passed.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync, readFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { labSession, labTest } from "./lab-session.ts";
import { SshConnection } from "../../engine/connection/ssh.ts";
import { atomicWrite } from "../../engine/host/remote.ts";
import { tempDir } from "../helpers.ts";
import { openConnection } from "../../engine/connection/index.ts";

const session = labSession("itest", 3, ["ipset"]);
const vars = session.vars;
const open = session.open;
const labRun = session.run;

labTest("each host has a cgroup of its own: a unit stopped on one host leaves no process, and no host sees another's", async () => {
  const marker = `${1000 + Math.floor(Math.random() * 1000)}.25`;
  await session.sh("node1", `systemd-run --unit=hoist-iso sleep ${marker} >/dev/null 2>&1`);
  assert.equal(await session.sh("node2", `pgrep -fc 'sleep ${marker}' || true`), "0\n", "node2 does not see node1's processes");
  assert.match(await session.sh("node1", "systemctl is-active hoist-iso.service || true"), /^active/);
  await session.sh("node1", "systemctl stop hoist-iso.service");
  const left = spawnSync("pgrep", ["-fc", `sleep ${marker}`], { encoding: "utf8" }).stdout.trim();
  assert.equal(left, "0", "stopping the unit on node1 left nothing running anywhere");
  const cgroup = readFileSync(`/proc/${readFileSync(`${session.lab.dir}/node1/pid`, "utf8")}/cgroup`, "utf8");
  assert.match(cgroup, /hoist-lab\/itest\/node1/);
});

labTest("lab up --packages: a package beyond the default list is in the lab's repository", async () => {
  const out = await session.run("- hosts: node1\n  gather_facts: false\n  tasks:\n    - { name: ipset, apt: { name: ipset, update_cache: true } }\n");
  assert.equal(out.byTask("ipset").status, "changed", out.byTask("ipset").msg as string);
  assert.equal(await session.sh("node1", "dpkg-query -W -f='${db:Status-Abbrev}' ipset"), "ii ");
});

labTest("ssh: exit codes, separate stdout and stderr, many commands on one session", async () => {
  const c = await open("node1");
  const r = await c.exec("echo out; echo err >&2; exit 3");
  assert.deepEqual(r, { code: 3, stdout: "out\n", stderr: "err\n" });
  const noNewline = await c.exec("printf abc");
  assert.equal(noNewline.stdout, "abc");
  const started = Date.now();
  for (let i = 0; i < 200; i++) assert.equal((await c.exec(`echo ${i}`)).stdout, `${i}\n`);
  const perCommand = (Date.now() - started) / 200;
  console.log(`ssh: ${perCommand.toFixed(2)} ms per command over the persistent session`);
  assert.ok(perCommand < 20, `persistent session is fast (${perCommand} ms)`);
  const stdin = await c.exec("wc -c", { stdin: "12345" });
  assert.equal(stdin.stdout.trim(), "5");
  await c.close();
});

labTest("ssh: commands given together share one session and one write; answers stay apart", async () => {
  const c = await open("node1");
  const results = await Promise.all(
    Array.from({ length: 40 }, (_, i) => c.exec(i === 7 ? "cat" : `echo out${i}; echo err${i} >&2; exit ${i % 4}`, i === 7 ? { stdin: "in7" } : {})),
  );
  results.forEach((r, i) => assert.deepEqual(r, i === 7 ? { code: 0, stdout: "in7", stderr: "" } : { code: i % 4, stdout: `out${i}\n`, stderr: `err${i}\n` }));
  // $PPID is the sshd process serving this connection; each session is one sh under it.
  assert.equal((await c.exec("pgrep -c -P $PPID")).stdout.trim(), "1");
  const slow = c.exec("sleep 1");
  await new Promise((r) => setTimeout(r, 20));
  const started = Date.now();
  assert.equal((await c.exec("echo quick")).stdout, "quick\n");
  assert.ok(Date.now() - started < 500, "a command given later does not wait behind a slow one");
  await slow;
  await c.close();
});

labTest("ssh: large binary files arrive byte for byte, atomically", async () => {
  const c = await open("node2");
  const data = randomBytes(3 * 1024 * 1024);
  const r = await atomicWrite(c, { write: "/root/blob.bin", content: data.toString("base64"), base64: true, mode: "0600" });
  assert.equal(r.code, 0, r.stderr);
  const sum = await c.exec("sha256sum /root/blob.bin; stat -c %a /root/blob.bin");
  assert.equal(sum.stdout.split(" ")[0], createHash("sha256").update(data).digest("hex"));
  assert.match(sum.stdout, /\n600\n$/);
  await c.close();
});

labTest("ssh: become with a sudo password never echoes it", async () => {
  const secret = "s3cret-" + randomBytes(4).toString("hex");
  await labRun(`- hosts: node3
  tasks:
    - command: useradd -m -s /bin/bash deploy
      args: { creates: /home/deploy }
    - shell: "echo 'deploy:${secret}' | chpasswd"
    - file: { path: /etc/sudoers.d/deploy, content: "deploy ALL=(ALL) ALL\\n", mode: "0440" }
    - file: { path: /home/deploy/.ssh, state: directory, owner: deploy, mode: "0700" }
    - shell: cp /root/.ssh/authorized_keys /home/deploy/.ssh/ && chown deploy /home/deploy/.ssh/authorized_keys
`);
  const out = await labRun(
    `- hosts: node3
  become: true
  tasks:
    - { name: whoami, command: id -u, register: r, changed_when: false }
    - { name: file as root, file: { path: /etc/deploy-made, content: "x\\n" } }
`,
    { connect: (h) => open(h, { ansible_user: "deploy" }), extraVars: { ansible_become_password: secret } },
  );
  assert.equal(out.byTask("whoami").values.stdout, "0", "registered without its trailing newline, as Ansible does");
  assert.equal(out.byTask("file as root").status, "changed");
  assert.ok(!JSON.stringify(out.results).includes(secret), "password never in results");
  const wrong = await labRun(`- hosts: node3\n  become: true\n  tasks:\n    - { name: whoami, command: id -u }\n`, {
    connect: (h) => open(h, { ansible_user: "deploy" }),
    extraVars: { ansible_become_password: "wrong" },
  });
  assert.equal(wrong.byTask("whoami").status, "failed");
  assert.ok(!JSON.stringify(wrong.results).includes("wrong\n"));
});

labTest("ssh: a password, and a key held by the SSH agent, authenticate", async () => {
  const password = "pw-" + randomBytes(6).toString("hex");
  await session.sh("node2", `id pwuser >/dev/null 2>&1 || useradd -m -s /bin/bash pwuser; echo 'pwuser:${password}' | chpasswd`);
  const byPassword = await SshConnection.open({
    host: "node2",
    address: String(vars("node2").ansible_host),
    user: "pwuser",
    password,
    privateKeyFile: "/nonexistent",
    knownHostsFile: session.lab.knownHosts,
    acceptNewHostKeys: false,
    connectTimeoutMs: 5000,
    attempts: 1,
  });
  assert.equal((await byPassword.exec("id -un")).stdout, "pwuser\n");
  await byPassword.close();
  const socket = join(tempDir(), "agent.sock");
  const agent = spawnSync("ssh-agent", ["-a", socket], { encoding: "utf8" });
  const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1]);
  const saved = process.env.SSH_AUTH_SOCK;
  try {
    assert.equal(spawnSync("ssh-add", ["-q", session.lab.key], { env: { ...process.env, SSH_AUTH_SOCK: socket } }).status, 0);
    process.env.SSH_AUTH_SOCK = socket;
    const byAgent = await SshConnection.open({
      host: "node2",
      address: String(vars("node2").ansible_host),
      user: "root",
      privateKeyFile: "/nonexistent",
      knownHostsFile: session.lab.knownHosts,
      acceptNewHostKeys: false,
      connectTimeoutMs: 5000,
      attempts: 1,
    });
    assert.equal((await byAgent.exec("hostname")).stdout, "node2\n");
    await byAgent.close();
  } finally {
    if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = saved;
    if (pid) process.kill(pid);
  }
});

labTest("ssh: unknown and changed host keys are refused; accept-new records them", async () => {
  const dir = tempDir();
  const empty = join(dir, "known_hosts");
  writeFileSync(empty, "");
  try {
    await open("node1", { hoist_known_hosts: empty });
    assert.fail("unreachable");
  } catch (e) {
    assert.match((e as Error).message, /host key for .* is not known .*--accept-new-host-keys/);
  }
  const forged = join(dir, "forged");
  const other = readFileSync(session.lab.knownHosts, "utf8")
    .split("\n")
    .find((l) => l.startsWith(vars("node2").ansible_host as string))!;
  writeFileSync(forged, other.replace(/^\S+/, vars("node1").ansible_host as string) + "\n");
  try {
    await open("node1", { hoist_known_hosts: forged });
    assert.fail("unreachable");
  } catch (e) {
    assert.match((e as Error).message, /HOST KEY CHANGED/);
  }
  const recorded = join(dir, "recorded");
  copyFileSync(empty, recorded);
  const c = await openConnection(
    "node1",
    { ...vars("node1"), hoist_known_hosts: recorded },
    { ssh: { acceptNewHostKeys: true, connectTimeoutMs: 5000, attempts: 1 } },
  );
  await c.close();
  assert.match(readFileSync(recorded, "utf8"), new RegExp(`^${vars("node1").ansible_host} ssh-ed25519 `));
});

labTest("an unreachable host beside reachable ones: the others finish", async () => {
  const inventory = readFileSync(session.lab.inventory, "utf8").replace(
    "[lab]\n",
    `[lab]\nghost ansible_host=${String(vars("node1").ansible_host).replace(/\.\d+$/, ".99")}\n`,
  );
  const started = Date.now();
  const out = await labRun(`- hosts: lab\n  tasks:\n    - { name: t, command: "true" }\n`, { inventory });
  assert.equal(out.byTask("t", "ghost").status, "unreachable");
  for (const h of ["node1", "node2", "node3"]) assert.equal(out.byTask("t", h).status, "changed");
  assert.equal(out.stats.get("ghost")!.unreachable, 1);
  console.log(`unreachable host detected in ${Date.now() - started} ms`);
});

labTest("a host whose connection dies mid-run is unreachable; the others go on", async () => {
  const out = await labRun(`- hosts: lab
  tasks:
    - name: drop
      shell: "pkill -KILL -f 'sshd: root' || true"
      when: inventory_hostname == 'node2'
    - { name: after, command: "true" }
`);
  assert.equal(out.byTask("drop", "node2").status, "unreachable");
  assert.ok(!out.results.some((r) => r.task === "after" && r.host === "node2"));
  assert.equal(out.byTask("after", "node1").status, "changed");
  assert.equal(out.byTask("after", "node3").status, "changed");
});

labTest("file and command over SSH on three hosts: check, apply, re-run, tamper", async () => {
  const pb = `- hosts: lab
  tasks:
    - { name: dir, file: { path: /etc/hoist-it, state: directory, mode: "0755" } }
    - { name: conf, file: { path: /etc/hoist-it/app.conf, content: "node={{ inventory_hostname }}\\n", mode: "0644" } }
    - { name: line, file: { path: /etc/sysctl.d/90-hoist.conf, line: "vm.swappiness = 0", regexp: "^vm.swappiness" } }
    - { name: once, command: { argv: [touch, /etc/hoist-it/done], creates: /etc/hoist-it/done } }
`;
  const check = await labRun(pb, { check: true });
  for (const h of ["node1", "node2", "node3"]) assert.equal(check.byTask("conf", h).status, "changed");
  const before = await (await open("node1")).exec("test -e /etc/hoist-it");
  assert.equal(before.code, 1, "check changed nothing");
  const apply = await labRun(pb);
  for (const h of ["node1", "node2", "node3"]) assert.equal(apply.stats.get(h)!.changed, 4);
  const c = await open("node3");
  assert.equal((await c.exec("cat /etc/hoist-it/app.conf")).stdout, "node=node3\n");
  const again = await labRun(pb);
  for (const h of ["node1", "node2", "node3"]) assert.equal(again.stats.get(h)!.changed, 0);
  await c.exec("echo drift >> /etc/hoist-it/app.conf");
  await c.close();
  const drift = await labRun(pb, { check: true, diff: true });
  assert.equal(drift.byTask("conf", "node3").status, "changed");
  assert.equal(drift.byTask("conf", "node1").status, "ok");
  assert.equal(drift.byTask("conf", "node3").changes[0].before, "node=node3\ndrift\n");
});

labTest("hoist run against the lab inventory from the command line", async () => {
  const dir = tempDir();
  const pb = join(dir, "site.yaml");
  writeFileSync(pb, `- hosts: lab\n  tasks:\n    - { name: motd, file: { path: /etc/motd, content: "lab {{ inventory_hostname }}\\n" } }\n`);
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(process.cwd(), "bin/hoist.js"), "run", pb, "-i", session.lab.inventory, ...args], { encoding: "utf8" });
  assert.equal(cli(["--check", "--detailed-exitcode"]).status, 2);
  assert.equal(cli([]).status, 0);
  const again = cli(["--check", "--detailed-exitcode"]);
  assert.equal(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /node3\s+: ok=1 changed=0/);
});

labTest("ssh config: HostName, User and IdentityFile from ~/.ssh/config-style files", async () => {
  const dir = tempDir();
  const config = join(dir, "config");
  writeFileSync(config, `Host lab-alias\n  HostName ${vars("node1").ansible_host}\n  User root\n  IdentityFile ${session.lab.key}\n`);
  const c = await SshConnection.open({
    host: "lab-alias",
    sshConfigFile: config,
    knownHostsFile: session.lab.knownHosts,
    acceptNewHostKeys: false,
    connectTimeoutMs: 5000,
    attempts: 1,
  });
  assert.equal((await c.exec("hostname")).stdout, "node1\n");
  await c.close();
});
