/**
 * Hosts that hang, flood and leave things behind (the third hostile round):
 * a read that never returns fails its host alone within the bound; a task's
 * `timeout:` ends its command; SIGTERM ends a run within seconds; what a task
 * leaves in the background does not hold the run lock, and no other user
 * can hold it; a flood of output costs linear time and bounded memory, and
 * the cut is said. Each prints its figures (tried / held).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { labSession, labTest } from "./lab-session.ts";
import { hoistCli, tempDir } from "../helpers.ts";
import { tally } from "../security/tally.ts";

const lab = labSession("wtest", 2);
const dir = tempDir();
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

labTest("a host whose reads never return fails alone within the bound; a task's timeout ends its command", async () => {
  // node1's `ip` hangs: gathering its facts never returns.
  await lab.sh("node1", "printf '#!/bin/sh\\nexec sleep 3600\\n' > /usr/local/bin/ip && chmod +x /usr/local/bin/ip");
  try {
    const pb = write("wedged.yaml", '- hosts: all\n  tasks:\n    - { name: address, debug: { msg: "{{ ansible_default_ipv4.address }}" } }\n');
    const run = await hoistCli(["run", pb, "-i", lab.lab.inventory], { ANSIBLE_TASK_TIMEOUT: "3" });
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /failed: \[node1\].*did not end within 3 s/);
    assert.match(run.stdout, /ok: \[node2\] address/);
    assert.ok(run.ms < 20_000, `the run ended in ${run.ms} ms`);
    const task = write(
      "sleep.yaml",
      "- hosts: node2\n  gather_facts: false\n  tasks:\n    - { name: long, command: sleep 300, timeout: 2 }\n    - { name: after, debug: { msg: never } }\n",
    );
    const timed = await hoistCli(["run", task, "-i", lab.lab.inventory]);
    assert.match(timed.stdout, /failed: \[node2\] long => node2: a command did not end within 2 s/);
    assert.ok(timed.ms < 15_000, `${timed.ms} ms`);
    assert.equal((await lab.sh("node2", "pgrep -x sleep -a | grep -c 'sleep 300' || true")).trim(), "0", "the command is ended with its shell");
    tally("hung commands ending their host's task within the bound", 2, 2);
  } finally {
    await lab.sh("node1", "rm -f /usr/local/bin/ip");
  }
});

labTest("SIGTERM ends a run within seconds, even while a host never answers", async () => {
  const pb = write("term.yaml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: sleep 600\n");
  const run = await hoistCli(["run", pb, "-i", lab.lab.inventory], {}, { signals: [[1500, "SIGTERM"]] });
  assert.ok(run.ms < 12_000, `ended ${run.ms} ms after the start`);
  assert.match(run.stderr, /interrupted/);
  assert.equal(run.status, 130);
  tally("SIGTERM ending a wedged run", 1, 1);
});

labTest("the run lock: a background process a task leaves does not hold it; another user cannot take it", async () => {
  const bg = write("bg.yaml", "- hosts: node2\n  gather_facts: false\n  tasks:\n    - shell: nohup sleep 120 >/dev/null 2>&1 &\n");
  const first = await hoistCli(["run", bg, "-i", lab.lab.inventory]);
  assert.equal(first.status, 0, first.stdout + first.stderr);
  const next = await hoistCli(["run", bg, "-i", lab.lab.inventory, "--lock-timeout", "1"]);
  assert.equal(next.status, 0, next.stdout + next.stderr);
  assert.doesNotMatch(next.stdout, /holds the lock/);
  const lock = await lab.sh("node2", "stat -c '%U %a' /run/hoist; su -s /bin/sh nobody -c 'flock -n /run/hoist/lock true' 2>&1; echo rc=$?");
  assert.match(lock, /^root 700\n/);
  assert.match(lock, /Permission denied\nrc=[1-9]\d*\n$/);
  // A directory planted in its place is refused, naming it, rather than used.
  await lab.sh("node2", "pkill -x sleep || true; rm -rf /run/hoist; mkdir -m 0777 /run/hoist");
  try {
    const planted = await hoistCli(["run", bg, "-i", lab.lab.inventory]);
    assert.equal(planted.status, 1);
    assert.match(planted.stdout, /the run lock directory \/run\/hoist on node2 is not private/, planted.stdout + planted.stderr);
  } finally {
    await lab.sh("node2", "rm -rf /run/hoist");
  }
  tally("run lock held by what it should not be", 3, 3);
});

labTest("a flood of output: linear time, bounded memory, the cut said", async () => {
  const pb = write(
    "flood.yaml",
    '- hosts: node2\n  gather_facts: false\n  tasks:\n    - { name: flood, command: "head -c 100000000 /dev/zero", register: out }\n    - { debug: { msg: "{{ out.stdout | length }} {{ out.output_cut_bytes }}" } }\n',
  );
  const run = await hoistCli(["run", pb, "-i", lab.lab.inventory, "-v"]);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /flood => output cut: 32891136 bytes past the first 64 MiB were dropped/);
  assert.match(run.stdout, /"67108864 32891136"|67108864 32891136/);
  assert.ok(run.ms < 30_000, `100 MB in ${run.ms} ms`);
  console.log(`flood: 100 MB from one host in ${(run.ms / 1000).toFixed(1)} s`);
  tally("output floods handled in linear time and bounded memory", 1, 1);
});
