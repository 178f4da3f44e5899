/**
 * Containers in a lab host: containerd and runc from Debian, installed and
 * started by hoist's own modules in a host booted with `containers` (cgroup
 * v2 inside, keyring and bpf system calls, /var/lib/containerd off the
 * overlay); the image is the lab's own (no registry is reachable here),
 * imported with ctr, and a container runs and serves HTTP on the host's
 * network. This machine's cgroup v2 hierarchy has no controllers (they are
 * bound to cgroup v1), so containers run without CPU weight or memory
 * limits: said in the test's name and output.
 */
import assert from "node:assert/strict";
import { labSession, labTest } from "./lab-session.ts";
import { HELLO_IMAGE } from "../../lab/images.ts";

const lab = labSession("ctr", 1, ["containerd", "runc"], { containers: true });

const PB = `- hosts: lab
  gather_facts: false
  tasks:
    - { name: runtime, apt: { name: [containerd, runc] } }
    - { name: containerd running, systemd: { name: containerd, state: started, enabled: true } }
    - name: lab image
      shell: "ctr --namespace hoist images ls -q | grep -qx '${HELLO_IMAGE}' || { ctr --namespace hoist image import /opt/hoist-lab/images/hello.tar >/dev/null && echo imported; }"
      register: imported
      changed_when: "'imported' in imported.stdout"
`;

labTest(
  "containerd runs a container from the lab's own image and it serves HTTP (without cgroup controllers: none are free for cgroup v2 on this machine)",
  async () => {
    const first = await lab.run(PB);
    assert.deepEqual(
      first.results.filter((r) => r.result.status === "failed").map((r) => `${r.task}: ${r.result.msg}`),
      [],
    );
    const controllers = (await lab.sh("node1", "cat /sys/fs/cgroup/cgroup.controllers")).trim();
    console.log(`    containers: cgroup v2 in the host, controllers: '${controllers || "none"}' (CPU weight and memory limits need them)`);
    assert.match(await lab.sh("node1", "ctr --namespace hoist images ls -q"), new RegExp(`^${HELLO_IMAGE.replace(/\./g, "\\.")}$`, "m"));
    const once = await lab.sh("node1", `timeout 60 ctr --namespace hoist run --rm --cpu-shares 0 ${HELLO_IMAGE} once`);
    assert.match(once, /^hello from a container on node1$/m);
    await lab.sh("node1", `ctr --namespace hoist run -d --net-host --cpu-shares 0 ${HELLO_IMAGE} web /hello serve >/dev/null`);
    let answer = "";
    for (let i = 0; i < 30 && !answer.includes("hello"); i++) {
      answer = await lab.sh(
        "node1",
        `python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8080/').read().decode())" 2>/dev/null || true`,
      );
      if (!answer.includes("hello")) await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(answer, /hello from node1/);
    assert.match(await lab.sh("node1", "ctr --namespace hoist tasks ls"), /web\s+\d+\s+RUNNING/);
    await lab.sh("node1", "ctr --namespace hoist tasks kill -s KILL web; sleep 1; ctr --namespace hoist containers rm web");
    const again = await lab.run(PB);
    assert.deepEqual(
      again.results.filter((r) => r.result.changed).map((r) => r.task),
      [],
      "the second run changes nothing (the image is there)",
    );
  },
);
