/**
 * Roles and facts on real lab hosts, and the modules that wait and download
 * there: the common role (playbooks/roles/common) through check → apply →
 * re-run → drift; get_url against an HTTP server on the lab network (this
 * machine, on the lab bridge); wait_for on real ports and files; become as
 * the connection's own user on a host without sudo.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { createHash, randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { labSession, labTest } from "./lab-session.ts";

const lab = labSession("rtest", 2);
const HOSTS = ["node1", "node2"];
const ROLES = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "playbooks", "roles");
const PREPARE = `- name: prepare cluster hosts
  hosts: all
  become: true
  roles:
    - common
`;

labTest("the common role: check predicts the run, the run is idempotent, drift on one host is found and fixed there", async () => {
  const check = await lab.run(PREPARE, { check: true, rolesPath: [ROLES] });
  const real = await lab.run(PREPARE, { rolesPath: [ROLES] });
  const failed = real.results.filter((r) => r.result.status === "failed");
  assert.deepEqual(
    failed.map((r) => `${r.task}@${r.host}: ${r.result.msg}`),
    [],
  );
  const predicted = check.results.filter((r) => r.result.status !== "unknown");
  const wrong = predicted.filter((r) => real.results.find((x) => x.identity === r.identity)?.result.status !== r.result.status);
  console.log(
    `check-mode truth (common role): ${predicted.length - wrong.length} of ${check.results.length} predicted exactly, ${check.results.length - predicted.length} unknown, ${wrong.length} wrong`,
  );
  assert.deepEqual(
    wrong.map((r) => `${r.identity}: check ${r.result.status}`),
    [],
  );
  assert.deepEqual(
    real.results
      .filter((r) => r.task === "Gathering Facts")
      .map((r) => r.host)
      .sort(),
    HOSTS,
    "one gathering per host",
  );
  assert.deepEqual(
    real.results
      .filter((r) => r.kind === "handler")
      .map((r) => r.host)
      .sort(),
    HOSTS,
    "the journald handler ran on both",
  );
  const [a, b] = lab.lab.hosts;
  for (const h of HOSTS) {
    const hosts = await lab.sh(h, "cat /etc/hosts");
    assert.ok(String(hosts).includes(`${a.address} node1\n${b.address} node2\n`), "every node by name, from the facts of both");
    assert.match(await lab.sh(h, "cat /etc/motd"), /^node\d: Debian 12\.\d+ \(bookworm\), kernel \S+\n\d+ CPUs/);
    assert.equal(await lab.sh(h, "dpkg-query -W -f='${db:Status-Abbrev}' conntrack socat"), "ii ii ");
    assert.equal(await lab.sh(h, "cat /etc/apt/apt.conf.d/80-hoist-retries | tail -1"), 'Acquire::Retries "3";\n');
    assert.equal(await lab.sh(h, "sysctl -n net.ipv4.ip_forward"), "1\n");
  }
  const again = await lab.run(PREPARE, { rolesPath: [ROLES] });
  assert.deepEqual(
    again.results.filter((r) => r.result.status !== "ok").map((r) => `${r.task}@${r.host}: ${r.result.status} ${r.result.msg ?? ""}`),
    [],
    "the second run changes nothing",
  );
  await lab.sh("node2", "echo '[Journal]' > /etc/systemd/journald.conf.d/90-hoist-common.conf");
  const drift = await lab.run(PREPARE, { check: true, rolesPath: [ROLES] });
  assert.deepEqual(
    drift.results.filter((r) => r.result.status === "changed").map((r) => `${r.task}@${r.host}`),
    ["journal size@node2", "restart journald@node2"],
  );
  const fixed = await lab.run(PREPARE, { rolesPath: [ROLES] });
  assert.deepEqual(
    fixed.results.filter((r) => r.result.status === "changed").map((r) => `${r.task}@${r.host}`),
    ["journal size@node2", "restart journald@node2"],
  );
});

/** An HTTP server on the lab bridge: what hosts download from (no internet here). */
async function fileServer(blob: Buffer): Promise<{ server: Server; base: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    if (req.url === "/blob") return res.end(blob);
    if (req.url === "/secret") {
      if (req.headers["x-token"] !== "t0ken-for-lab") return res.writeHead(403).end("no");
      return res.end("secret content\n");
    }
    if (req.url === "/cut") {
      // Says it sends it all, sends half, and hangs up: the host must keep nothing.
      res.writeHead(200, { "Content-Length": String(blob.length) });
      res.write(blob.subarray(0, blob.length / 2));
      return setTimeout(() => res.destroy(), 50);
    }
    res.writeHead(404).end();
  });
  const bridge = lab.lab.hosts[0].address.replace(/\.\d+$/, ".1");
  await new Promise<void>((r) => server.listen(0, bridge, r));
  const { port } = server.address() as { port: number };
  return { server, base: `http://${bridge}:${port}`, hits };
}

labTest("get_url: downloads on the host, checks the checksum, leaves no partial file, re-downloads only on a different checksum", async () => {
  const blob = randomBytes(300_000);
  const sha = createHash("sha256").update(blob).digest("hex");
  const { server, base, hits } = await fileServer(blob);
  try {
    const pb = (extra = "") => `- hosts: lab
  gather_facts: false
  tasks:
    - name: blob
      get_url: { url: "${base}/blob", dest: /opt/blob.bin, checksum: "sha256:${sha}", mode: "0640" }
${extra}`;
    const check = await lab.run(pb(), { check: true });
    for (const h of HOSTS) assert.equal(check.byTask("blob", h).status, "changed");
    const first = await lab.run(pb());
    for (const h of HOSTS) {
      assert.equal(first.byTask("blob", h).status, "changed", first.byTask("blob", h).msg as string);
      assert.equal(await lab.sh(h, "sha256sum /opt/blob.bin | cut -d' ' -f1; stat -c %a /opt/blob.bin"), `${sha}\n640\n`);
    }
    const downloads = hits.length;
    const again = await lab.run(pb());
    for (const h of HOSTS) assert.equal(again.byTask("blob", h).status, "ok");
    assert.equal(hits.length, downloads, "a matching file is not downloaded again");
    await lab.sh("node2", "echo tampered > /opt/blob.bin");
    const drift = await lab.run(pb(), { check: true });
    assert.deepEqual(
      HOSTS.filter((h) => drift.byTask("blob", h).status === "changed"),
      ["node2"],
    );
    await lab.run(pb());
    assert.equal(await lab.sh("node2", "sha256sum /opt/blob.bin | cut -d' ' -f1"), `${sha}\n`);

    const bad = await lab.run(`- hosts: node1
  gather_facts: false
  tasks:
    - { name: wrong sum, get_url: { url: "${base}/blob", dest: /opt/wrong.bin, checksum: "sha256:${"0".repeat(64)}" }, ignore_errors: true }
    - { name: cut, get_url: { url: "${base}/cut", dest: /opt/cut.bin }, ignore_errors: true }
    - { name: header, get_url: { url: "${base}/secret", dest: /opt/secret.txt, headers: { X-Token: t0ken-for-lab } } }
`);
    assert.match(bad.byTask("wrong sum").msg!, /checksum mismatch/);
    assert.match(bad.byTask("cut").msg!, /download cut short|IncompleteRead|timed out/);
    assert.equal(bad.byTask("header").status, "changed", bad.byTask("header").msg as string);
    assert.equal(await lab.sh("node1", "ls -a /opt | grep -c -e wrong.bin -e cut.bin -e .hoist-get_url || true"), "0\n", "nothing partial is left");
    assert.equal(await lab.sh("node1", "cat /opt/secret.txt"), "secret content\n");
    assert.doesNotMatch(JSON.stringify(bad.results), /t0ken-for-lab/, "the header's value is in no result");
  } finally {
    server.close();
  }
});

labTest("wait_for: a port that opens later, a file that says ready, a timeout that fails, check mode that cannot know", async () => {
  const node2 = lab.lab.hosts[1].address;
  await lab.sh("node2", "systemctl stop hoist-listen.service 2>/dev/null; rm -f /tmp/app.log; true");
  const check = await lab.run(
    `- hosts: node1\n  gather_facts: false\n  tasks:\n    - { name: port, wait_for: { host: "${node2}", port: 8089, timeout: 30 } }\n`,
    {
      check: true,
    },
  );
  assert.equal(check.byTask("port").status, "unknown", "closed now: it may open; check mode does not wait");
  // The listener starts 2 s from now, on another host; the log line comes after it.
  await lab.sh(
    "node2",
    "systemd-run --unit=hoist-listen --on-active=2 --timer-property=AccuracySec=100ms python3 -m http.server 8089 --bind 0.0.0.0 >/dev/null 2>&1; systemd-run --unit=hoist-log --on-active=3 --timer-property=AccuracySec=100ms sh -c 'echo server ready > /tmp/app.log' >/dev/null 2>&1",
  );
  const waited = await lab.run(`- hosts: lab
  gather_facts: false
  tasks:
    - { name: port, wait_for: { host: "${node2}", port: 8089, timeout: 30 }, when: inventory_hostname == 'node1' }
    - { name: log, wait_for: { path: /tmp/app.log, search_regex: "ready", timeout: 30 }, when: inventory_hostname == 'node2' }
    - { name: closed, wait_for: { port: 8090, state: stopped, timeout: 5 } }
    - { name: never, wait_for: { port: 8091, timeout: 2, msg: "nothing listens on 8091" }, ignore_errors: true }
`);
  assert.equal(waited.byTask("port", "node1").status, "ok", waited.byTask("port", "node1").msg as string);
  assert.ok((waited.byTask("port", "node1").values.elapsed as number) >= 1, "it waited for the port to open");
  assert.equal(waited.byTask("log", "node2").status, "ok", waited.byTask("log", "node2").msg as string);
  for (const h of HOSTS) {
    assert.equal(waited.byTask("closed", h).status, "ok");
    assert.equal(waited.byTask("never", h).status, "failed");
    assert.equal(waited.byTask("never", h).msg, "nothing listens on 8091");
  }
  const checkOpen = await lab.run(`- hosts: node1\n  gather_facts: false\n  tasks:\n    - { name: port, wait_for: { host: "${node2}", port: 8089 } }\n`, {
    check: true,
  });
  assert.equal(checkOpen.byTask("port").status, "ok", "open now: check mode says so");
  await lab.sh("node2", "systemctl stop hoist-listen.service");
});

labTest("become as the user hoist logs in as runs without sudo: a host without sudo works", async () => {
  await lab.sh("node2", "mv /usr/bin/sudo /usr/bin/sudo.away");
  try {
    const out = await lab.run(`- hosts: node2
  become: true
  gather_facts: false
  tasks:
    - { name: id, command: id -un, changed_when: false }
    - { name: as nobody, command: id -un, become_user: nobody, ignore_errors: true }
`);
    assert.equal(out.byTask("id").status, "ok", out.byTask("id").msg as string);
    assert.equal(out.byTask("id").values.stdout, "root", "stdout without its trailing newline, as Ansible registers it");
    assert.equal(out.byTask("as nobody").status, "failed", "another user still needs sudo, which is gone");
  } finally {
    await lab.sh("node2", "mv /usr/bin/sudo.away /usr/bin/sudo");
  }
});
