/**
 * A task's conditions and loop items as one host sees them: the `when`s of
 * its blocks then its own, the loop rendered once, and the variables of
 * each item.
 *
 * @example
 * const items = loopItems(task, vars); // ["a", "b"]
 */
import type { Task } from "../load/playbook.ts";
import { renderDeep, renderTemplateFile } from "../template/template.ts";
import { query } from "../template/lookups.ts";
import type { Vars } from "../vars.ts";
import type { HostRun, TaskEnvironment } from "./host-run.ts";

/**
 * The `when` conditions a task runs under: its blocks', then its own.
 *
 * @example
 * condition(conditionsOf(task, env), vars)
 */
export const conditionsOf = (task: Task, env: TaskEnvironment): unknown[] => [...env.inheritedWhen, ...(task.when === undefined ? [] : [task.when])];

/**
 * The variables of one loop item.
 *
 * @example
 * const vars = itemVars(task, host, env, "nginx"); // vars.item === "nginx"
 */
export const itemVars = (task: Task, host: HostRun, env: TaskEnvironment, item: unknown): Vars => env.vars(host, task.vars, { [task.loopVar]: item });

/**
 * A loop's items, rendered once: a list written in the playbook has its templates rendered, what a host answered is not.
 *
 * @example
 * loopItems(task, vars) // ["a", "b"]
 */
export function loopItems(task: Task, vars: Vars): unknown {
  const terms = renderDeep(task.loop, vars);
  if (task.loopLookup === undefined) return terms;
  // `with_<lookup>: terms` is `loop: "{{ query('<lookup>', terms) }}"`.
  const subdir = task.module === "include_vars" ? "vars" : task.module === "template" ? "templates" : "files";
  return query({ vars, renderText: renderTemplateFile, subdir }, task.loopLookup, Array.isArray(terms) ? terms : [terms], {});
}
