import { test } from "node:test";
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPlaybook } from "../helpers.ts";
import type { Event } from "../fixtures/modules/record.ts";

const recordDir = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "modules");
const log = ((globalThis as Record<string, unknown>).__hoistRecord ??= []) as Event[];
const run = (pb: string, opts: Parameters<typeof runPlaybook>[1] = {}) => {
  log.length = 0;
  return runPlaybook(pb, { modules: [recordDir], ...opts });
};
const INV = "m1 ansible_connection=local\nm2 ansible_connection=local\nm3 ansible_connection=local\n";
const time = (at: string, label: string, host = "localhost") => {
  const e = log.find((x) => x.at === at && x.label === label && x.host === host);
  if (!e) throw new Error(`no ${at} event for ${label}@${host}`);
  return e.time;
};

test("throttle: a task runs on at most N hosts at once (rolling restarts); the hosts' other tasks are not held back", async () => {
  await run(
    `- hosts: all
  tasks:
    - { record: { label: before, ms: 1 } }
    - { record: { label: roll, ms: 40 }, throttle: 1 }
    - { record: { label: free, ms: 150 } }
`,
    { inventory: INV },
  );
  const spans = (label: string) => ["m1", "m2", "m3"].map((h) => [time("start", label, h), time("end", label, h)]).sort((a, b) => a[0] - b[0]);
  const roll = spans("roll");
  for (let i = 1; i < roll.length; i++) assert.ok(roll[i][0] >= roll[i - 1][1], `throttled runs do not overlap: ${JSON.stringify(roll)}`);
  const free = spans("free");
  assert.ok(
    free.some((s, i) => i > 0 && s[0] < free[i - 1][1]),
    "without throttle they do",
  );
});

test("tasks run in file order on a host by default", async () => {
  await run(`- hosts: all
  tasks:
    - record: { label: a, ms: 30 }
    - record: { label: b, ms: 1 }
    - record: { label: c, ms: 1 }
`);
  assert.deepEqual(
    log.filter((e) => e.at === "start").map((e) => e.label),
    ["a", "b", "c"],
  );
  assert.ok(time("start", "b") >= time("end", "a"));
  assert.ok(time("start", "c") >= time("end", "b"));
});

test("a task with needs waits only for what it needs", async () => {
  await run(`- hosts: all
  tasks:
    - { id: a, record: { label: a, ms: 5 } }
    - { id: slow, record: { label: slow, ms: 200 } }
    - { needs: [a], record: { label: fast, ms: 1 } }
`);
  // "fast" needs only "a", so it starts while "slow" is still running.
  assert.ok(time("start", "fast") < time("end", "slow"), "fast ran concurrently with slow");
  assert.ok(time("start", "fast") >= time("end", "a"));
});

test("cross-host needs: nodes start as soon as the first master has its token", async () => {
  await run(
    `- hosts: all
  tasks:
    - { id: token, record: { label: token, ms: 50 }, when: inventory_hostname == 'm1' }
    - { id: other, record: { label: other, ms: 300 }, when: inventory_hostname == 'm1' }
    - { needs: ["token@m1"], record: { label: join, ms: 1 }, when: inventory_hostname != 'm1' }
`,
    { inventory: INV },
  );
  for (const h of ["m2", "m3"]) {
    assert.ok(time("start", "join", h) >= time("end", "token", "m1"), `${h} joined after the token`);
    assert.ok(time("start", "join", h) < time("end", "other", "m1"), `${h} did not wait for a play-wide barrier`);
  }
});

test("a failed needed task fails the hosts that need it, and only them", async () => {
  const out = await run(
    `- hosts: all
  tasks:
    - { id: token, record: { label: token, fail: true }, when: inventory_hostname == 'm1' }
    - { name: join, needs: ["token@m1"], record: { label: join } }
    - { name: independent, record: { label: ind } }
`,
    { inventory: INV },
  );
  assert.equal(out.byTask("join", "m2").status, "failed");
  assert.match(out.byTask("join", "m2").msg!, /needed task 'token' did not succeed on m1/);
  assert.equal(out.stats.get("m2")!.failed, 1);
});

test("cross-host cycles are found before anything runs", async () => {
  try {
    await run(
      `- hosts: all
  tasks:
    - { id: a, needs: ["b@m2"], record: { label: a } }
    - { id: b, needs: ["a@m1"], record: { label: b } }
`,
      { inventory: INV },
    );
    assert.fail("should fail");
  } catch (e) {
    assert.match((e as Error).message, /cycle/);
  }
  assert.equal(log.length, 0, "nothing ran");
});

test("forks bounds concurrency", async () => {
  await run(
    `- hosts: all
  tasks:
    - record: { label: x, ms: 40 }
`,
    { inventory: INV, forks: 1 },
  );
  const starts = ["m1", "m2", "m3"].map((h) => time("start", "x", h)).sort();
  const ends = ["m1", "m2", "m3"].map((h) => time("end", "x", h)).sort();
  assert.ok(starts[1] >= ends[0] && starts[2] >= ends[1], "one at a time");
  await run(`- hosts: all\n  tasks:\n    - record: { label: y, ms: 100 }\n`, { inventory: INV, forks: 3 });
  const s = ["m1", "m2", "m3"].map((h) => time("start", "y", h));
  const e = ["m1", "m2", "m3"].map((h) => time("end", "y", h));
  assert.ok(Math.max(...s) < Math.min(...e), "all three at once");
});

test("a failing host stops, the others go on", async () => {
  const out = await run(
    `- hosts: all
  tasks:
    - { name: maybe, record: { label: a, fail: true }, when: inventory_hostname == 'm2' }
    - { name: after, record: { label: b } }
`,
    { inventory: INV },
  );
  assert.equal(out.byTask("after", "m1").status, "ok");
  assert.equal(out.byTask("after", "m3").status, "ok");
  assert.ok(!out.results.some((r) => r.task === "after" && r.host === "m2"));
  assert.equal(out.stats.get("m2")!.failed, 1);
});

test("handlers run once, at the end, only for hosts that changed", async () => {
  const out = await run(
    `- hosts: all
  tasks:
    - { name: t1, record: { label: t1, change: "{{ inventory_hostname == 'm1' }}" }, notify: h }
    - { name: t2, record: { label: t2, change: true }, notify: h, when: inventory_hostname == 'm1' }
    - { name: t3, record: { label: t3 } }
  handlers:
    - { name: h, record: { label: handler } }
`,
    { inventory: INV },
  );
  const handlerRuns = out.results.filter((r) => r.kind === "handler");
  assert.deepEqual(
    handlerRuns.map((r) => r.host),
    ["m1"],
  );
  assert.ok(time("start", "handler", "m1") >= time("end", "t3", "m1"));
});

test("block, rescue and always", async () => {
  const out = await run(`- hosts: all
  tasks:
    - block:
        - { name: first, record: { label: first } }
        - { name: breaks, record: { label: breaks, fail: true } }
        - { name: never, record: { label: never } }
      rescue:
        - { name: rescuer, record: { label: rescuer } }
      always:
        - { name: cleanup, record: { label: cleanup } }
    - { name: after, record: { label: after } }
`);
  assert.deepEqual(
    out.results.map((r) => `${r.task}:${r.result.status}`),
    ["first:ok", "breaks:failed", "rescuer:ok", "cleanup:ok", "after:ok"],
  );
  assert.equal(out.stats.get("localhost")!.rescued, 1);
});

test("register, loop, when per item, changed_when and failed_when", async () => {
  const out = await run(`- hosts: all
  tasks:
    - name: items
      record: { label: "{{ item }}", change: true }
      loop: [a, b, c]
      when: item != 'b'
      register: r
    - name: seen
      assert: { that: ["r.results | length == 3", "r.results[1].skipped", "r.changed"] }
    - name: judged
      record: { label: j, change: true }
      changed_when: false
      register: j
    - name: failing on purpose
      record: { label: k }
      failed_when: "'recorded' in k.msg"
      register: k
      ignore_errors: true
`);
  assert.equal(
    out
      .byTask("items")
      .results!.map((r) => r.status)
      .join(),
    "changed,skipped,changed",
  );
  assert.equal(out.byTask("seen").status, "ok");
  assert.equal(out.byTask("judged").status, "ok");
  assert.equal(out.byTask("failing on purpose").status, "failed");
  assert.ok(out.byTask("failing on purpose").ignored);
  assert.equal(out.stats.get("localhost")!.ignored, 1);
});

test("until/retries retry until the condition holds", async () => {
  const out = await run(`- hosts: all
  tasks:
    - set_fact: { n: 0 }
    - name: retried
      record: { label: "try" }
      register: r
      until: r.attempts is defined or false
      retries: 2
      delay: 0
`);
  assert.equal(out.byTask("retried").status, "failed");
  assert.match(out.byTask("retried").msg!, /until condition not met after 3 attempts/);
  assert.equal(log.filter((e) => e.at === "start" && e.label === "try").length, 3);
});

test("run_once runs on one host and shares its result", async () => {
  const out = await run(
    `- hosts: all
  tasks:
    - { name: once, record: { label: once }, run_once: true, register: o }
    - { name: check, assert: { that: "o.msg == 'recorded'" } }
`,
    { inventory: INV },
  );
  assert.equal(log.filter((e) => e.at === "start" && e.label === "once").length, 1);
  for (const h of ["m1", "m2", "m3"]) assert.equal(out.byTask("check", h).status, "ok");
});

test("tags select tasks; always and never behave as in Ansible", async () => {
  await run(
    `- hosts: all
  tasks:
    - { record: { label: a }, tags: [install] }
    - { record: { label: b }, tags: [config] }
    - { record: { label: c }, tags: [always] }
    - { record: { label: d }, tags: [never, debug] }
`,
    { tags: ["config"] },
  );
  assert.deepEqual(
    log.filter((e) => e.at === "start").map((e) => e.label),
    ["b", "c"],
  );
  await run(`- hosts: all\n  tasks:\n    - { record: { label: a }, tags: [install] }\n    - { record: { label: d }, tags: [never] }\n`, {
    skipTags: ["install"],
  });
  assert.deepEqual(
    log.filter((e) => e.at === "start").map((e) => e.label),
    [],
  );
});

test("serial batches and max_fail_percentage stop a rolling update", async () => {
  const out = await run(
    `- hosts: all
  serial: 1
  max_fail_percentage: 0
  tasks:
    - { name: step, record: { label: s, fail: "{{ inventory_hostname == 'm2' }}" } }
`,
    { inventory: INV },
  );
  assert.deepEqual(
    out.results.map((r) => r.host),
    ["m1", "m2"],
  );
});
