/**
 * One item of a play on one host: a task, or a block with its rescue and
 * always sections, tasks inside it inheriting the block's when, vars and
 * become. Each task result is reported and counted here.
 */
import type { Task } from "../load/playbook.ts";
import { runTask, type HostRun } from "./task.ts";
import { selectedByTags } from "./tags.ts";
import { countResult } from "./stats.ts";
import type { RunContext } from "./context.ts";
import type { Inherited, PlayVars } from "./play-vars.ts";

export class BlockRunner {
  constructor(
    private readonly ctx: RunContext,
    private readonly vars: PlayVars,
  ) {}

  /** Run a task or block on one host; returns whether the host may go on. */
  async runItem(task: Task, host: HostRun, batch: string[], inherited: Inherited, kind: "task" | "handler"): Promise<boolean> {
    const { options } = this.ctx;
    if (task.block) {
      const inner = {
        when: [...inherited.when, ...(task.when === undefined ? [] : [task.when])],
        vars: { ...inherited.vars, ...task.vars },
        become: task.become ?? inherited.become,
        becomeUser: task.becomeUser ?? inherited.becomeUser,
      };
      let ok = true;
      for (const t of task.block) if (!(ok = await this.runItem(t, host, batch, inner, kind))) break;
      if (!ok && task.rescue?.length) {
        host.failed = false;
        ok = true;
        for (const t of task.rescue) if (!(ok = await this.runItem(t, host, batch, inner, kind))) break;
        if (ok) this.ctx.stats.get(host.name)!.rescued++;
      }
      const failedBeforeAlways = host.failed;
      host.failed = false;
      let alwaysOk = true;
      for (const t of task.always ?? []) if (!(alwaysOk = await this.runItem(t, host, batch, inner, kind))) break;
      host.failed = failedBeforeAlways || !alwaysOk;
      return ok && alwaysOk;
    }
    if (!selectedByTags(task, options.tags, options.skipTags)) return true;
    const result = await runTask(task, host, this.vars.environment(batch, inherited)(task));
    this.vars.report(task, host.name, batch, result, kind);
    countResult(this.ctx.stats.get(host.name)!, result);
    if ((result.status === "failed" && !result.ignored) || result.status === "unreachable") {
      host.failed = true;
      return false;
    }
    return true;
  }
}
