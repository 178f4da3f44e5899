/**
 * nfs_exports against the real nfs-utils on a lab host (Debian's
 * nfs-kernel-server from the lab's repository): the export files, exportfs's
 * validation and the kernel's export table are real. This machine's kernel has
 * no NFS (no nfsd, no client, no loadable modules), so no client mounts the
 * share here: that part is named in the output, not pretended.
 */
import assert from "node:assert/strict";
import { labSession, labTest } from "./lab-session.ts";

const lab = labSession("nfstest", 2);

const share = (clients: string, extra = "") => `- hosts: node1
  gather_facts: false
  tasks:
    - name: share
      nfs_exports:
        name: k8s
        path: /srv/nfs/k8s
        mode: "0777"
        clients: ${clients}${extra}
`;

labTest("an export: check, directory and file made, exportfs serves it, re-run empty, a hand-withdrawn export is found and restored", async () => {
  console.log("nfs: not testable here: mounting the share (this kernel has no NFS server or client); tested: files, exportfs -ra validation, the export table");
  await lab.run("- hosts: node1\n  gather_facts: false\n  tasks: [{ apt: { name: nfs-kernel-server } }]\n");
  const net = lab.lab.hosts[0].address.replace(/\.\d+$/, ".0/24");
  const node2 = lab.lab.hosts[1].address;
  const pb = share(`[{ host: "${net}", options: [rw, sync, no_subtree_check, no_root_squash] }, { host: "${node2}", options: [ro, no_subtree_check] }]`);
  const check = await lab.run(pb, { check: true });
  assert.equal(check.byTask("share").status, "changed");
  assert.equal(await lab.sh("node1", "test -e /etc/exports.d/k8s.exports && echo yes || echo no"), "no\n");
  const real = await lab.run(pb);
  assert.equal(real.byTask("share").status, "changed", real.byTask("share").msg as string);
  const table = await lab.sh("node1", "exportfs -v");
  assert.match(table, new RegExp(`/srv/nfs/k8s\\s+${net.replace(/\./g, "\\.")}\\(.*rw.*no_root_squash`));
  assert.match(table, new RegExp(`/srv/nfs/k8s\\s+${node2.replace(/\./g, "\\.")}\\(.*ro`));
  assert.equal(await lab.sh("node1", "stat -c %a /srv/nfs/k8s"), "777\n");
  assert.equal((await lab.run(pb)).byTask("share").status, "ok");
  await lab.sh("node1", `exportfs -u ${node2}:/srv/nfs/k8s`);
  const drift = await lab.run(pb, { check: true });
  assert.deepEqual(
    drift.byTask("share").changes.map((c) => [c.resource, c.field]),
    [["nfs-export:/srv/nfs/k8s", "export table"]],
  );
  await lab.run(pb);
  assert.match(await lab.sh("node1", "exportfs -v"), new RegExp(node2.replace(/\./g, "\\.")));
});

labTest("what exportfs refuses never replaces what it serves; bad options are refused before any host is touched", async () => {
  const before = await lab.sh("node1", "cat /etc/exports.d/k8s.exports");
  const missing = await lab.run(
    share(`[{ host: "*", options: [ro, no_subtree_check] }]`).replace("/srv/nfs/k8s", "/srv/nfs/gone").replace("mode:", "create_dir: false\n        mode:"),
  );
  assert.equal(missing.byTask("share").status, "failed");
  assert.match(missing.byTask("share").msg!, /\/srv\/nfs\/gone does not exist \(create_dir: false\)/);
  // exportfs refuses the new file: the old one is put back and still served.
  const refused = await lab.run(share(`[{ host: "10.0.0.0/33", options: [ro, no_subtree_check] }]`));
  assert.equal(refused.byTask("share").status, "failed");
  assert.match(refused.byTask("share").msg!, /Invalid prefix `33' for 10\.0\.0\.0\/33/);
  assert.equal(await lab.sh("node1", "cat /etc/exports.d/k8s.exports"), before, "the old file is back");
  assert.match(await lab.sh("node1", "exportfs -v"), /\/srv\/nfs\/k8s/, "and still served");
  // A client exportfs cannot resolve: the file is put in place, exportfs drops the client; the task says so.
  const unresolved = await lab.run(share(`[{ host: "no-such-host.invalid", options: [ro, no_subtree_check] }]`));
  assert.equal(unresolved.byTask("share").status, "failed");
  assert.match(unresolved.byTask("share").msg!, /exportfs does not serve every client of \/srv\/nfs\/k8s/);
  await lab.sh("node1", `printf '%s' '${before.replace(/'/g, "'\\''")}' > /etc/exports.d/k8s.exports && exportfs -ra`);
  await lab.run(share(`[{ host: "*", options: [rw, bogus] }]`)).then(
    () => assert.fail("a bad option must not load"),
    (e: Error) => assert.match(e.message, /playbook\.yaml:\d+:\d+: module 'nfs_exports': unknown export option 'bogus'/),
  );
  assert.equal(await lab.sh("node1", "cat /etc/exports.d/k8s.exports"), before, "the good file is still there");
  const gone = await lab.run(
    "- hosts: node1\n  gather_facts: false\n  tasks:\n    - { name: rm, nfs_exports: { name: k8s, path: /srv/nfs/k8s, state: absent } }\n",
  );
  assert.equal(gone.byTask("rm").status, "changed");
  assert.doesNotMatch(await lab.sh("node1", "exportfs -v"), /\/srv\/nfs\/k8s/);
});
