/**
 * The one rule (engine/host/read.ts): after each step, the real run forgets
 * exactly the reads that check mode, where the step is only planned, treats
 * as unknown unless a projection of the same plan says what they become.
 * Both sides are driven here over the same steps and reads, on the local
 * connection, and must agree read by read.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LocalConnection } from "../../engine/connection/local.ts";
import type { ExecOptions } from "../../engine/connection/types.ts";
import { HostState, createProbe } from "../../engine/host/probe.ts";
import { defineFact } from "../../engine/fact.ts";
import { projectEveryFact, projectFact, projectOnlyAffects, type Plan, type Step } from "../../engine/module.ts";
import { touchedBy } from "../../engine/host/read.ts";
import { tempDir } from "../helpers.ts";

class CountingConnection extends LocalConnection {
  commands = 0;
  exec(command: string, options?: ExecOptions) {
    this.commands++;
    return super.exec(command, options);
  }
}

const Anything = defineFact<Record<string, never>, string>({ name: "Anything", command: () => ["echo", "live"], parse: (r) => r.stdout.trim() });
const OneFile = defineFact<{ path: string }, string>({
  name: "OneFile",
  command: ({ path }) => ["cat", "--", path],
  parse: (r) => r.stdout,
  files: ({ path }) => [path],
});
const UnderEtc = defineFact<Record<string, never>, string>({
  name: "UnderEtc",
  command: () => ["echo", "etc"],
  parse: (r) => r.stdout.trim(),
  paths: ["/etc/"],
});

/** Which of the reads the real run reads again after `step`, and which check mode calls unknown after planning it. */
async function bothSides(step: Step, dir: string, projects: Plan["projects"] = []) {
  const reads = (probe: ReturnType<typeof createProbe>) => [
    () => probe.fact(Anything, {}),
    () => probe.fact(OneFile, { path: `${dir}/a` }),
    () => probe.fact(OneFile, { path: `${dir}/b` }),
    () => probe.fact(UnderEtc, {}),
    () => probe.stat(`${dir}/a`),
    () => probe.stat(`${dir}/b`),
    () => probe.stat(`${dir}/new`),
  ];
  // Real run: read all, forget after the step (as apply.ts does), count what is read again.
  const conn = new CountingConnection("local");
  const state = new HostState();
  const real = reads(createProbe(conn, state, { check: false }));
  for (const r of real) await r();
  state.forget(touchedBy(step));
  const again: boolean[] = [];
  for (const r of real) {
    const before = conn.commands;
    await r();
    again.push(conn.commands > before);
  }
  // Check mode: project the plan, ask the same reads.
  const checkState = new HostState();
  checkState.project({ changes: [{ field: "x", before: 1, after: 2 }], steps: [step], projects }, "'step' (t.yaml:1)");
  let told = 0;
  const unknown: boolean[] = [];
  for (const r of reads(createProbe(new LocalConnection("local"), checkState, { check: true, onUnknown: () => told++ }))) {
    const before = told;
    await r();
    unknown.push(told > before);
  }
  return { again, unknown };
}

test("a command that names no paths: everything read again, everything unknown", async () => {
  const dir = tempDir();
  const { again, unknown } = await bothSides({ run: ["true"] }, dir);
  assert.deepEqual(again, [true, true, true, true, true, true, true]);
  assert.deepEqual(unknown, again);
});

test("a write: its file, facts made of it, and facts made of anything; nothing else", async () => {
  const dir = tempDir();
  const { again, unknown } = await bothSides({ write: `${dir}/a`, content: "x" }, dir);
  assert.deepEqual(again, [true, true, false, false, true, false, false]);
  // Check mode knows the written file's stat from the write itself: the only read it does not call unknown.
  assert.deepEqual(unknown, [true, true, false, false, false, false, false]);
});

test("a command that touches a directory: what is under it, the missing parent it may create", async () => {
  const dir = tempDir();
  const { again, unknown } = await bothSides({ run: ["mkdir", "-p", "--", `${dir}/new/sub`], touches: [`${dir}/new/sub`] }, dir);
  assert.deepEqual(again, [true, false, false, false, false, false, true]);
  assert.deepEqual(unknown, again);
});

test("projections of the same plan say what a read becomes: a value for one read, a transform for every read of a fact", async () => {
  const dir = tempDir();
  const { unknown } = await bothSides({ run: ["true"] }, dir, [projectFact(Anything, {}, "projected"), projectEveryFact(OneFile, (v) => v)]);
  assert.deepEqual(unknown, [false, false, false, true, true, true, true]);
});

test("a plan that changes some reads of a fact spares the others: only those it names are unknown", async () => {
  const dir = tempDir();
  // As groupadd touching /etc/group spares every other group: the step touches both files, the plan says it changes only `a`.
  const step: Step = { run: ["touch", "--", `${dir}/a`, `${dir}/b`], touches: [`${dir}/a`, `${dir}/b`] };
  const { again, unknown } = await bothSides(step, dir, [projectOnlyAffects(OneFile, ({ path }) => path === `${dir}/a`)]);
  // The real run still reads both again (it forgets by footprint); check mode may keep b's answer: the plan vouches for it.
  assert.deepEqual(again.slice(1, 3), [true, true]);
  assert.deepEqual(unknown.slice(1, 3), [true, false]);
});
