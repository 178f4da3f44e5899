/**
 * Runs one task on one host: `when`, `loop`, `register` and `notify` around
 * its attempts (retries.ts → attempt.ts: plan, then predict or apply).
 * Where a dynamic include goes is decided here too, by the same conditions.
 *
 * @example
 * const result = await runTask(task, host, env);
 */
import type { Task } from "../load/playbook.ts";
import { condition, renderText, render, TemplateError } from "../template/template.ts";
import { unavailableIn } from "../template/unavailable.ts";
import type { Vars } from "../vars.ts";
import { failed, skipped, type Status, type TaskResult } from "../outcome/result.ts";
import type { HostRun, TaskEnvironment } from "./host-run.ts";
import { failure, taskLabel, unknownFrom } from "./unknown.ts";
import { registeredValue } from "./registered.ts";
import { runWithRetries } from "./retries.ts";
import { withFacts } from "./with-facts.ts";
import { conditionsOf, itemVars, loopItems } from "./items.ts";
import { planAll } from "./prefetch.ts";

/**
 * Where a dynamic include (`include_tasks`, `include_role`) goes on one host:
 * the loop variables of each pass through its tasks (one pass, without a
 * loop), or the result to report instead — skipped when its `when` holds for
 * no pass, failed when a condition or the loop does not render.
 *
 * @example
 * const passes = await includePasses(task, host, env); // { passes: [{ item: "a" }, { item: "b" }] }
 */
export async function includePasses(task: Task, host: HostRun, env: TaskEnvironment): Promise<{ passes: Vars[] } | { result: TaskResult }> {
  try {
    const vars = env.vars(host, task.vars);
    const conditions = conditionsOf(task, env);
    if (task.loop === undefined) return (await withFacts(env, () => condition(conditions, vars))) ? { passes: [{}] } : { result: skipped() };
    const items = await itemsUnlessGuarded(task, vars, env);
    if (items === undefined) return { result: skipped() };
    if (!Array.isArray(items)) throw new Error(`loop needs a list, got ${JSON.stringify(items)}`);
    const passes: Vars[] = [];
    for (const item of items) {
      if (await withFacts(env, () => condition(conditions, itemVars(task, host, env, item)))) passes.push({ [task.loopVar]: item });
    }
    return passes.length ? { passes } : { result: skipped() };
  } catch (e) {
    return { result: failure(e) };
  }
}

/** The task once, for one set of variables, unless its conditions say no. */
async function runIfWhen(task: Task, host: HostRun, vars: Vars, env: TaskEnvironment): Promise<TaskResult> {
  if (!(await withFacts(env, () => condition(conditionsOf(task, env), vars)))) return skipped();
  if (task.unimplemented)
    return failed(`'${task.unimplemented}' is an Ansible module hoist does not implement; this host reached it (\`hoist modules\` lists what hoist has)`);
  return await runWithRetries(task, host, vars, env);
}

/** A loop's status from its items': the first failure, all skipped, any unknown, any changed, else ok. */
function loopStatus(results: TaskResult[]): Status {
  const failedItem = results.find((r) => r.status === "failed" || r.status === "unreachable");
  if (failedItem) return failedItem.status;
  if (results.length && results.every((r) => r.status === "skipped")) return "skipped";
  if (results.some((r) => r.status === "unknown")) return "unknown";
  return results.some((r) => r.changed) ? "changed" : "ok";
}

/**
 * The loop's items; undefined when they do not render and the task's
 * conditions, without an item, say it does not run. As Ansible does: a loop's
 * error waits for the conditions, so `when: x is defined` guards `loop: "{{ x }}"`.
 */
async function itemsUnlessGuarded(task: Task, vars: Vars, env: TaskEnvironment): Promise<unknown> {
  try {
    return await withFacts(env, () => loopItems(task, vars));
  } catch (e) {
    if (!(e instanceof TemplateError) || unavailableIn(e)) throw e;
    let holds: boolean;
    try {
      holds = await withFacts(env, () => condition(conditionsOf(task, env), vars));
    } catch {
      throw e; // The conditions need the item (or fail themselves): the loop's own error is the one to tell.
    }
    if (holds) throw e;
    return undefined;
  }
}

/** Each item in turn (an unreachable host stops the loop), then the loop's own result. */
async function runLoop(task: Task, host: HostRun, vars: Vars, env: TaskEnvironment): Promise<TaskResult> {
  const items = await itemsUnlessGuarded(task, vars, env);
  if (items === undefined) return skipped();
  if (!Array.isArray(items)) throw new Error(`loop needs a list, got ${JSON.stringify(items)}`);
  // Unless the play's prefetch still holds (nothing applied since), the items are planned
  // together first, only so that their reads reach the host as one batch; they then run one
  // after another exactly as before, and an item after one that changed the host reads afresh.
  const { prefetched } = host.state;
  const cached = prefetched.generation === host.state.generation && prefetched.tasks.has(task);
  if (items.length > 1 && !cached)
    await planAll(
      task,
      host,
      items.map((item) => itemVars(task, host, env, item)),
      env,
      false,
    );
  const results: TaskResult[] = [];
  for (const item of items) {
    const started = Date.now();
    const vars = itemVars(task, host, env, item);
    const label = task.loopLabel ? renderText(task.loopLabel, vars) : typeof item === "string" ? item : JSON.stringify(item);
    let r: TaskResult;
    try {
      r = await runIfWhen(task, host, vars, env);
    } catch (e) {
      r = unknownFrom(e, task, host, env) ?? { ...failure(e), durationMs: Date.now() - started };
    }
    results.push({ ...r, item, label });
    if (r.status === "unreachable") break;
  }
  const failedItem = results.find((r) => r.status === "failed" || r.status === "unreachable");
  return {
    status: loopStatus(results),
    changed: results.some((r) => r.changed),
    changes: results.flatMap((r) => r.changes),
    msg: failedItem ? `item ${failedItem.label}: ${failedItem.msg}` : undefined,
    results,
    values: {},
    durationMs: 0,
  };
}

/**
 * Run a module task on one host (loop, when, register, notify included).
 *
 * @example
 * const result = await runTask(task, host, env);
 */
export async function runTask(task: Task, host: HostRun, env: TaskEnvironment): Promise<TaskResult> {
  const started = Date.now();
  let result: TaskResult;
  try {
    const vars = env.vars(host, task.vars);
    result = task.loop === undefined ? await runIfWhen(task, host, vars, env) : await runLoop(task, host, vars, env);
  } catch (e) {
    result = unknownFrom(e, task, host, env) ?? failure(e);
  }
  result.durationMs = Date.now() - started;
  if (result.status === "failed" && task.ignoreErrors) result.ignored = true;
  if (task.register) host.facts[task.register] = registeredValue(result);
  if (env.check && result.status === "unknown") host.unknownTask = taskLabel(task);
  if (result.changed && result.status !== "failed") {
    const vars = env.vars(host, task.vars);
    for (const n of task.notify) host.notified.add(String(render(n, vars)));
  }
  return result;
}
