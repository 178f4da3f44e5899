/**
 * The snap module against a real snapd in a lab host (booted with `snaps`:
 * its own /dev/fuse, squashfuse, udevd, cgroup v2). The snap store cannot be
 * reached from this machine, so every snap here is a file the lab built
 * (lab/snaps.ts: stand-in snapd and bare snaps, hello-lab 1.0 and 2.0),
 * installed with `dangerous`; an install from the store is tried and fails
 * as it must, which the test's name and output say.
 */
import assert from "node:assert/strict";
import { labSession, labTest } from "./lab-session.ts";

const lab = labSession("snap", 1, ["snapd", "squashfuse", "fuse3", "udev"], { snaps: true });
const DIR = "/opt/hoist-lab/snaps";

const PB = (version: string) => `- hosts: lab
  gather_facts: false
  tasks:
    - { name: snapd, apt: { name: [snapd, squashfuse, fuse3, udev] } }
    - { name: udevd running, systemd: { name: systemd-udevd, state: started } }
    - { name: snapd running, systemd: { name: snapd.service, state: started } }
    - { name: stand-ins, snap: { name: [${DIR}/snapd.snap, ${DIR}/bare.snap], dangerous: true } }
    - { name: app, snap: { name: ${DIR}/hello-lab_${version}.snap, dangerous: true } }
`;

labTest(
  "snap on a real snapd with snaps the lab built (the snap store is unreachable here): install, idempotent, another version, removal; a store install fails saying so",
  async () => {
    const check = await lab.run(PB("1.0"), { check: true });
    assert.deepEqual(
      check.results.filter((r) => r.result.status === "failed").map((r) => `${r.task}: ${r.result.msg}`),
      [],
      "check mode on a host without snapd fails nothing",
    );
    const first = await lab.run(PB("1.0"));
    assert.deepEqual(
      first.results.filter((r) => r.result.status === "failed").map((r) => `${r.task}: ${r.result.msg}`),
      [],
    );
    assert.match(await lab.sh("node1", "snap list"), /^hello-lab\s+1\.0\s+x1\s/m);
    const again = await lab.run(PB("1.0"));
    assert.deepEqual(
      again.results.filter((r) => r.result.changed).map((r) => r.task),
      [],
      "the second run changes nothing",
    );

    const upgrade = await lab.run(PB("2.0"), { check: true });
    assert.deepEqual(
      upgrade.byTask("app").changes.map((c) => [c.resource, c.field, c.before, c.after]),
      [["snap:hello-lab", "installed", "1.0 (x1)", `2.0 (${DIR}/hello-lab_2.0.snap)`]],
    );
    assert.equal((await lab.run(PB("2.0"))).byTask("app").status, "changed");
    assert.match(await lab.sh("node1", "snap list"), /^hello-lab\s+2\.0\s+x2\s/m);

    const rm = `- hosts: lab\n  gather_facts: false\n  tasks:\n    - { name: rm, snap: { name: hello-lab, state: absent } }\n`;
    assert.deepEqual(
      (await lab.run(rm, { check: true })).byTask("rm").changes.map((c) => [c.resource, c.before, c.after]),
      [["snap:hello-lab", "2.0 (-)", null]],
    );
    assert.equal((await lab.run(rm)).byTask("rm").status, "changed");
    assert.doesNotMatch(await lab.sh("node1", "snap list"), /hello-lab/);
    assert.equal((await lab.run(rm)).byTask("rm").status, "ok");

    const unsigned = await lab.run(`- hosts: lab\n  gather_facts: false\n  tasks:\n    - { name: f, snap: { name: ${DIR}/hello-lab_1.0.snap } }\n`);
    assert.match(unsigned.byTask("f").msg!, /say dangerous: true/);
    const store = await lab.run(
      `- hosts: lab\n  gather_facts: false\n  tasks:\n    - { name: store, snap: { name: microk8s, classic: true, channel: 1.30/stable } }\n`,
    );
    assert.equal(store.byTask("store").status, "failed");
    assert.match(store.byTask("store").msg!, /unable to contact snap store/);
    console.log(
      `    snap: an install from the store fails here, as it must: ${store
        .byTask("store")
        .msg!.split("\n")
        .find((l) => /store/.test(l))}`,
    );
  },
);
