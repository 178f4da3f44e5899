/**
 * The etcd role on three real lab hosts: Debian's etcd 3.4 as a TLS
 * cluster, every member's key made on the member, every certificate signed
 * on the first host (whose CA key never leaves it); `etcdctl endpoint health
 * --cluster` over TLS says all three are healthy, a second run changes
 * nothing, and a member stopped by hand is drift on that member alone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { labSession, labTest } from "./lab-session.ts";

const lab = labSession("etcd", 3, ["etcd-server", "etcd-client"]);
const rolesPath = [join(fileURLToPath(import.meta.url), "..", "..", "..", "..", "playbooks", "roles")];
const HOSTS = ["node1", "node2", "node3"];
const PB = `- hosts: lab
  gather_facts: false
  roles:
    - { role: etcd, etcd_group: lab }
`;
const ETCDCTL =
  "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/pki/ca.crt --cert=/etc/etcd/pki/member.crt --key=/etc/etcd/pki/member.key";

labTest("a three-member TLS etcd cluster from the etcd role: healthy, idempotent, a stopped member is drift on it alone", async () => {
  const check = await lab.run(PB, { check: true, rolesPath });
  assert.deepEqual(
    check.results.filter((r) => r.result.status === "failed").map((r) => `${r.task}@${r.host}: ${r.result.msg}`),
    [],
    "check mode on fresh hosts fails nothing",
  );
  const real = await lab.run(PB, { rolesPath });
  const failed = real.results.filter((r) => r.result.status === "failed");
  // What etcd itself said, when it did not come up: the run's message only says a timeout passed.
  for (const r of failed) console.log(`    etcd on ${r.host}:\n${await lab.sh(r.host, "journalctl -u etcd --no-pager -n 25 -o cat || true")}`);
  assert.deepEqual(
    failed.map((r) => `${r.task}@${r.host}: ${r.result.msg}`),
    [],
  );
  let health = "";
  for (let i = 0; i < 30 && (health.match(/is healthy/g) ?? []).length < 3; i++) {
    health = await lab.sh("node1", `${ETCDCTL} endpoint health --cluster 2>&1 || true`);
    if ((health.match(/is healthy/g) ?? []).length < 3) await new Promise((r) => setTimeout(r, 1000));
  }
  for (const h of lab.lab.hosts) assert.match(health, new RegExp(`https://${h.address.replace(/\./g, "\\.")}:2379 is healthy`), health);
  const members = await lab.sh("node2", `${ETCDCTL} member list`);
  for (const h of HOSTS) assert.match(members, new RegExp(`, started, ${h}, https://`), members);
  await lab.sh("node3", `${ETCDCTL} put /hoist/lab ok >/dev/null`);
  assert.match(await lab.sh("node1", `${ETCDCTL} get /hoist/lab --print-value-only`), /^ok$/m, "a write on one member is read on another");
  assert.equal(await lab.sh("node2", "test -e /etc/etcd/ca/ca.key && echo leaked || echo kept"), "kept\n", "the CA key is only on node1");
  const key = (await lab.sh("node2", "sed -n 2p /etc/etcd/pki/member.key")).trim();
  assert.ok(!String(JSON.stringify(real.results)).includes(key), "no member key in any result");

  const again = await lab.run(PB, { rolesPath });
  assert.deepEqual(
    again.results.filter((r) => r.result.changed).map((r) => `${r.task}@${r.host}`),
    [],
    "the second run changes nothing",
  );
  await lab.sh("node3", "systemctl stop etcd");
  const drift = await lab.run(PB, { check: true, rolesPath });
  assert.deepEqual(
    drift.results.filter((r) => r.result.changed).map((r) => `${r.task}@${r.host}: ${r.result.changes.map((c) => `${c.resource} ${c.field}`).join(", ")}`),
    ["etcd enabled and running@node3: unit:etcd.service state"],
  );
  assert.deepEqual(
    HOSTS.filter((h) => drift.stats.get(h)!.failed > 0),
    [],
  );
  await lab.run(PB, { rolesPath });
  assert.match(await lab.sh("node1", `${ETCDCTL} endpoint health --cluster 2>&1 || true`), /(is healthy.*){3}/s);
});

labTest("a member whose data directory is lost joins the live cluster again as 'existing', never as a new cluster of its own", async () => {
  await lab.sh("node3", "systemctl stop etcd && rm -rf /var/lib/etcd/cluster");
  const rejoin = await lab.run(PB, { rolesPath });
  assert.deepEqual(
    rejoin.results.filter((r) => r.result.status === "failed").map((r) => `${r.task}@${r.host}: ${r.result.msg}`),
    [],
  );
  assert.match(await lab.sh("node3", "grep INITIAL_CLUSTER_STATE /etc/default/etcd"), /="existing"/);
  assert.match(await lab.sh("node1", "grep INITIAL_CLUSTER_STATE /etc/default/etcd"), /="new"/, "the others keep what they started with");
  const health = await lab.sh("node2", `${ETCDCTL} endpoint health --cluster 2>&1 || true`);
  assert.equal((health.match(/is healthy/g) ?? []).length, 3, health);
  assert.match(await lab.sh("node3", `${ETCDCTL} get /hoist/lab --print-value-only`), /^ok$/m, "it holds the cluster's data, not a cluster of its own");
  const again = await lab.run(PB, { rolesPath });
  assert.deepEqual(
    again.results.filter((r) => r.result.changed).map((r) => `${r.task}@${r.host}`),
    [],
  );
});
