/**
 * What the playbook suites (the hard way, MicroK8s HA) measure alike: failed
 * and changed tasks, check-mode truth task by task, and timings.
 */
import assert from "node:assert/strict";
import type { RunOutcome } from "../../engine/run/run.ts";

/** Failed tasks (not ignored), as `task@host: message`. */
export const failures = (out: RunOutcome): string[] =>
  out.results.filter((r) => r.result.status === "failed" && !r.result.ignored).map((r) => `${r.task}@${r.host}: ${r.result.msg}`);

/** Changed tasks (handlers left out), as `task@host`. */
export const changedTasks = (out: RunOutcome): string[] => out.results.filter((r) => r.result.changed && r.kind === "task").map((r) => `${r.task}@${r.host}`);

/** What changed, as `host resource field [task]`: how a drift check names it. */
export const namedChanges = (out: RunOutcome): string[] =>
  out.results
    .filter((r) => r.result.changed && r.kind === "task")
    .flatMap((r) => r.result.changes.map((c) => `${r.host} ${c.resource} ${c.field} [${r.task}]`));

/**
 * Check-mode truth: each result of a check run against the real run that followed — predicted
 * exactly (the same changed or not), unknown, or wrong (a confident answer the run contradicted).
 *
 * @example
 * const t = truth(await run(true), await run());
 * assert.deepEqual(t.wrong, []);
 */
export function truth(check: RunOutcome, real: RunOutcome): { exact: number; unknown: number; wrong: string[] } {
  const out = { exact: 0, unknown: 0, wrong: [] as string[] };
  // A task of an included file runs once per pass: its nth result in one run is its nth in the other.
  const nth = (results: RunOutcome["results"]) => {
    const seen = new Map<string, number>();
    return results.map((r) => {
      const n = (seen.get(r.identity) ?? 0) + 1;
      seen.set(r.identity, n);
      return { key: `${r.identity} #${n}`, r };
    });
  };
  const after = new Map(nth(real.results).map(({ key, r }) => [key, r]));
  for (const { key, r: c } of nth(check.results)) {
    const r = after.get(key);
    if (!r || c.result.status === "skipped" || r.result.status === "skipped") continue;
    if (c.result.status === "unknown") out.unknown++;
    else if (c.result.changed === r.result.changed) out.exact++;
    else out.wrong.push(`${c.identity}: check ${c.result.status}, run ${r.result.status}`);
  }
  return out;
}

/** The value of `f()` and the seconds it took, to one decimal. */
export const seconds = async <T>(f: () => Promise<T>): Promise<[T, string]> => {
  const started = Date.now();
  const value = await f();
  return [value, ((Date.now() - started) / 1000).toFixed(1)];
};

/**
 * The playbook run again, then checked: neither changes anything, and check mode knows every task
 * of the built cluster. Returns how long each took.
 *
 * @example
 * const { againTime, checkTime } = await idempotent((check) => createRun({ playbook, inventory, check }));
 */
export async function idempotent(run: (check?: boolean) => Promise<RunOutcome>): Promise<{ againTime: string; checkTime: string }> {
  const [again, againTime] = await seconds(() => run());
  assert.deepEqual(changedTasks(again), [], "the second run changes nothing");
  const [check, checkTime] = await seconds(() => run(true));
  assert.deepEqual(changedTasks(check), []);
  assert.deepEqual(
    check.results.filter((r) => r.result.status === "unknown").map((r) => `${r.task}@${r.host}`),
    [],
    "on a built cluster check mode knows every task",
  );
  return { againTime, checkTime };
}
