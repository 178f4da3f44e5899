/**
 * Reads planned ahead: a play's tasks, or a loop's items, planned together
 * only to fill the host's read cache, so that what they read reaches the
 * host in as few round trips as possible. The plans are thrown away.
 *
 * @example
 * await prefetch(play.tasks.map((t) => [t, environmentOf(t)]), host);
 */
import type { Task } from "../load/playbook.ts";
import { condition } from "../template/template.ts";
import type { Vars } from "../vars.ts";
import type { HostRun, TaskEnvironment } from "./host-run.ts";
import { planOnce } from "./attempt.ts";
import { conditionsOf, itemVars, loopItems } from "./items.ts";

/**
 * Plan a task once for each set of variables, all at once, only to fill the read cache: plans and errors are dropped.
 *
 * @example
 * await planAll(task, host, items.map((item) => itemVars(task, host, env, item)), env, false);
 */
export async function planAll(task: Task, host: HostRun, varsList: Vars[], env: TaskEnvironment, ahead: boolean): Promise<void> {
  if (!env.module) return;
  const conditions = conditionsOf(task, env);
  await Promise.allSettled(
    varsList.map(async (vars) => {
      if (condition(conditions, vars)) await planOnce(task, host, vars, env, ahead);
    }),
  );
}

/**
 * Plan the play's tasks on `host` all at once before the first runs, so that
 * what they read reaches the host in as few round trips as possible (stats as
 * one batch, other reads pipelined together). Each task still plans in its
 * turn, from the cache, and afresh after anything was applied. A task whose
 * `when` or `loop` reads what an earlier task registers cannot be planned yet
 * and is left out.
 *
 * @example
 * await prefetch(play.tasks.map((t) => [t, environmentOf(t)]), host);
 */
export async function prefetch(tasks: [Task, TaskEnvironment][], host: HostRun): Promise<void> {
  const generation = host.state.generation;
  const prefetched = new WeakSet<object>();
  await Promise.allSettled(
    tasks.map(async ([task, env]) => {
      const vars = env.vars(host, task.vars);
      const items = task.loop === undefined ? undefined : loopItems(task, vars);
      const varsList = items === undefined ? [vars] : Array.isArray(items) ? items.map((item) => itemVars(task, host, env, item)) : [];
      await planAll(task, host, varsList, env, true);
      prefetched.add(task);
    }),
  );
  if (host.state.generation === generation) host.state.prefetched = { generation, tasks: prefetched };
}
