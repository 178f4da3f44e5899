/**
 * A task's attempts: `changed_when` and `failed_when` judge each, with the
 * result visible under its register name; `until` repeats it up to
 * `retries` times, `delay` seconds apart.
 *
 * @example
 * const result = await runWithRetries(task, host, vars, env);
 */
import type { Task } from "../load/playbook.ts";
import { condition } from "../template/template.ts";
import { data, scope } from "../template/vars.ts";
import type { Vars } from "../vars.ts";
import type { TaskResult } from "../outcome/result.ts";
import type { HostRun, TaskEnvironment } from "./host-run.ts";
import { registeredValue } from "./registered.ts";
import { runOnce } from "./attempt.ts";
import { withFacts } from "./with-facts.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The task's variables with the result visible as the condition sees it: bare, and under its register name. */
function withResult(task: Task, result: TaskResult, vars: Vars): Vars {
  const reg = registeredValue(result);
  return scope(vars, data(reg), task.register ? data({ [task.register]: reg }) : undefined);
}

/** Apply `changed_when`/`failed_when` with the result visible under its register name. */
function judge(task: Task, result: TaskResult, vars: Vars): TaskResult {
  // An unknown result has nothing to judge: its conditions would read what is not known.
  if ((task.changedWhen === undefined && task.failedWhen === undefined) || result.status === "unknown") return result;
  const v = withResult(task, result, vars);
  let r = result;
  if (task.changedWhen !== undefined && r.status !== "failed" && r.status !== "skipped") {
    const changed = condition(task.changedWhen, v);
    r = { ...r, changed, status: changed ? "changed" : "ok" };
  }
  if (task.failedWhen !== undefined && r.status !== "skipped") {
    const failed = condition(task.failedWhen, v);
    if (failed) r = { ...r, status: "failed", msg: r.msg ?? "failed_when condition is true" };
    else if (r.status === "failed") r = { ...r, status: r.changed ? "changed" : "ok" };
  }
  return r;
}

/**
 * Attempt the task until `until` holds (once, without it), each attempt judged.
 *
 * @example
 * const r = await runWithRetries(task, host, vars, env); // r.values.attempts with `until`
 */
export async function runWithRetries(task: Task, host: HostRun, vars: Vars, env: TaskEnvironment): Promise<TaskResult> {
  const attempts = (task.retries ?? 0) + 1;
  let result: TaskResult | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    result = judge(task, await withFacts(env, () => runOnce(task, host, vars, env)), vars);
    // A check-mode skip or unknown did not run: there is nothing to wait for (as in Ansible).
    if (task.until === undefined || result.status === "skipped" || result.status === "unknown") return result;
    if (result.status !== "failed" && condition(task.until, withResult(task, result, vars)))
      return { ...result, values: { ...result.values, attempts: attempt } };
    if (attempt < attempts) await sleep((task.delay ?? 5) * 1000);
  }
  return { ...result!, status: "failed", msg: `until condition not met after ${attempts} attempts${result!.msg ? `: ${result!.msg}` : ""}` };
}
