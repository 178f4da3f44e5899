/**
 * Modules against the oracle on the same real host: ansible-core's own module
 * (run ad hoc over SSH from the oracle's virtualenv) and hoist's read the same
 * lab host, and every key hoist reports must equal Ansible's.
 */
import assert from "node:assert/strict";
import { labSession, labTest } from "./lab-session.ts";
import { ansibleModule } from "../oracle.ts";

const lab = labSession("oracle", 1);

/** Runs one hoist task and returns what it registered. */
async function hoistResult(task: string): Promise<Record<string, unknown>> {
  const out = await lab.run(`- hosts: lab\n  gather_facts: false\n  tasks:\n    - name: probe\n      ${task}\n      register: r\n`);
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
