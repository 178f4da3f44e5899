/**
 * One item of a play on one host: a task, or a block with its rescue and
 * always sections, tasks inside it inheriting the block's when, vars and
 * become. Each task result is reported and counted here.
 */
import type { Task } from "../load/playbook.ts";
import { includePasses, runTask } from "./task.ts";
import type { HostRun } from "./host-run.ts";
import type { TaskResult } from "../outcome/result.ts";
import { selectedByTags } from "./tags.ts";
import { countResult } from "../outcome/stats.ts";
import type { RunContext } from "./context.ts";
import type { Inherited, PlayVars } from "./play-vars.ts";
import pLimit, { type LimitFunction } from "p-limit";
import { basename, resolve } from "node:path";
import type { IncludeChoices } from "../load/shapes.ts";
import type { Vars } from "../vars.ts";
import { renderText } from "../template/template.ts";
import { failure } from "./unknown.ts";
import { failed } from "../outcome/result.ts";
import { validateOptions, type OptionSpec } from "../load/argument-spec.ts";
import { errorMessage } from "../errors.ts";

/**
 * Runs a play's tasks on its hosts: blocks with rescue and always, includes, handlers, `serial`,
 * `run_once` and `needs` across hosts.
 */
export class BlockRunner {
  /** One gate per throttled task, shared by the hosts of the play. */
  private readonly throttles = new Map<Task, LimitFunction>();
  /** A `run_once` task inside a block or role: the first host's run, per batch, that the others wait for. */
  private readonly once = new Map<string, { host: HostRun; ok: Promise<boolean> }>();
  private readonly onceKeys = new WeakMap<Task, number>();
  private onceCount = 0;

  constructor(
    private readonly ctx: RunContext,
    private readonly vars: PlayVars,
    /** Run the handlers `host` has been notified of, now (`meta: flush_handlers`). */
    private readonly flushHandlers: (host: HostRun, batch: string[]) => Promise<void>,
  ) {}

  /** Run a task or block on one host; returns whether the host may go on. */
  async runItem(task: Task, host: HostRun, batch: string[], inherited: Inherited, kind: "task" | "handler"): Promise<boolean> {
    const { options } = this.ctx;
    if (host.ended) return false;
    if (task.block && task.dynamic) return this.runInclude(task, host, batch, inherited, kind);
    if (task.block) {
      const inner = {
        when: [...inherited.when, ...(task.when === undefined ? [] : [task.when])],
        vars: { ...inherited.vars, ...task.vars },
        loop: inherited.loop,
        become: task.become ?? inherited.become,
        becomeUser: task.becomeUser ?? inherited.becomeUser,
      };
      let ok = true;
      for (const t of task.block) if (!(ok = await this.runItem(t, host, batch, inner, kind))) break;
      if (!ok && task.rescue?.length) {
        host.failed = false;
        ok = true;
        // As Ansible's recap: the failure a rescue takes over counts as rescued, not failed.
        const stats = this.ctx.stats.get(host.name)!;
        stats.failed = Math.max(0, stats.failed - 1);
        for (const t of task.rescue) if (!(ok = await this.runItem(t, host, batch, inner, kind))) break;
        stats.rescued++;
      }
      const failedBeforeAlways = host.failed;
      host.failed = false;
      let alwaysOk = true;
      for (const t of task.always ?? []) if (!(alwaysOk = await this.runItem(t, host, batch, inner, kind))) break;
      host.failed = failedBeforeAlways || !alwaysOk;
      return ok && alwaysOk;
    }
    if (!selectedByTags(task, options.tags, options.skipTags)) return true;
    if (task.meta) return this.runMeta(task, host, batch, inherited, kind);
    if (task.argumentSpec) return this.runArgumentSpec(task, task.argumentSpec.options, host, batch, inherited, kind);
    if (task.runOnce) {
      // Top-level tasks are run once by the play; inside a block or role, here: the first host runs it, the
      // others take its registered result (as Ansible does), and its result is reported once.
      let id = this.onceKeys.get(task);
      if (id === undefined) this.onceKeys.set(task, (id = this.onceCount++));
      const key = `${id} ${batch.join(",")}`;
      const first = this.once.get(key);
      if (first && first.host !== host) {
        const ok = await first.ok;
        if (task.register) host.facts[task.register] = first.host.facts[task.register];
        if (!ok) host.failed = true;
        return ok;
      }
      if (!first) {
        const ok = this.runSingle(task, host, batch, inherited, kind);
        this.once.set(key, { host, ok });
        return ok;
      }
    }
    return this.runSingle(task, host, batch, inherited, kind);
  }

  /**
   * A role's argument check, before its first task: each option its spec names, taken from the
   * role's variables as the task sees them (rendered), checked as Ansible checks them.
   */
  private async runArgumentSpec(
    task: Task,
    options: Record<string, OptionSpec>,
    host: HostRun,
    batch: string[],
    inherited: Inherited,
    kind: "task" | "handler",
  ): Promise<boolean> {
    const env = this.vars.environment(batch, inherited)(task);
    const decided = await includePasses(task, host, env);
    if ("result" in decided) return this.settle(task, host, batch, decided.result, kind);
    let errors: string[];
    try {
      const vars = env.vars(host, task.vars);
      const values: Vars = {};
      for (const name of Object.keys(options)) if (vars[name] !== undefined) values[name] = vars[name];
      errors = validateOptions(options, values);
    } catch (e) {
      errors = [errorMessage(e)];
    }
    const result: TaskResult = errors.length
      ? failed(`Validation of arguments failed:\n${errors.join("\n")}`, { argument_errors: errors })
      : { status: "ok", changed: false, msg: "The arg spec validation passed", changes: [], values: {}, durationMs: 0 };
    return this.settle(task, host, batch, result, kind);
  }

  /**
   * A meta action, decided by the engine: its `when` holds as for any task. Hosts run the play
   * independently in hoist (Ansible's `free` strategy), so `flush_handlers` runs this host's
   * notified handlers when this host reaches it, and `end_play` ends the play for the batch's hosts
   * at their next task.
   */
  private async runMeta(task: Task, host: HostRun, batch: string[], inherited: Inherited, kind: "task" | "handler"): Promise<boolean> {
    const decided = await includePasses(task, host, this.vars.environment(batch, inherited)(task));
    if ("result" in decided) return this.settle(task, host, batch, decided.result, kind);
    const done = (msg: string) => this.settle(task, host, batch, { status: "ok", changed: false, msg, changes: [], values: {}, durationMs: 0 }, kind);
    switch (task.meta) {
      case "flush_handlers":
        await this.flushHandlers(host, batch);
        return !host.failed;
      case "end_host":
        done("ending the play for this host");
        host.ended = true;
        return false;
      case "end_play":
      case "end_batch":
        done(`ending the ${task.meta === "end_play" ? "play" : "batch"} for every host`);
        for (const h of batch) this.ctx.hosts.get(h)!.ended = true;
        return false;
      case "clear_facts":
        host.hostFacts = undefined;
        return done("facts cleared");
      case "noop":
      case "clear_host_errors":
      case "refresh_inventory":
      case "reset_connection":
        // Failed hosts stop in hoist, the inventory is read once, the connection is the run's: nothing to do.
        return done(`meta: ${task.meta}: nothing to do in hoist`);
      default:
        return this.settle(task, host, batch, failure(new Error(`meta: ${task.meta} is not supported by hoist; this host reached it`)), kind);
    }
  }

  /** One task (not a block) on one host, under its throttle. */
  private async runSingle(task: Task, host: HostRun, batch: string[], inherited: Inherited, kind: "task" | "handler"): Promise<boolean> {
    const run = () => runTask(task, host, this.vars.environment(batch, inherited)(task));
    if (task.throttle === undefined) return this.settle(task, host, batch, await run(), kind);
    let gate = this.throttles.get(task);
    if (!gate) this.throttles.set(task, (gate = pLimit(task.throttle)));
    return this.settle(task, host, batch, await gate(run), kind);
  }

  /** Report and count a result; false when the host may not go on. */
  private settle(task: Task, host: HostRun, batch: string[], result: TaskResult, kind: "task" | "handler"): boolean {
    this.vars.report(task, host.name, batch, result, kind);
    countResult(this.ctx.stats.get(host.name)!, result);
    if ((result.status === "failed" && !result.ignored) || result.status === "unreachable") {
      host.failed = true;
      return false;
    }
    return true;
  }

  /**
   * A dynamic include: its `when` and `loop` are decided now, once, and its
   * tasks run once per pass with the pass's loop variables; its own `when`
   * does not pass to them (an enclosing block's does).
   */
  private async runInclude(task: Task, host: HostRun, batch: string[], inherited: Inherited, kind: "task" | "handler"): Promise<boolean> {
    const decided = await includePasses(task, host, this.vars.environment(batch, inherited)(task));
    if ("result" in decided) return this.settle(task, host, batch, decided.result, kind);
    for (const loop of decided.passes) {
      const inner: Inherited = {
        when: inherited.when,
        vars: { ...inherited.vars, ...task.vars },
        loop: { ...inherited.loop, ...loop },
        become: task.become ?? inherited.become,
        becomeUser: task.becomeUser ?? inherited.becomeUser,
      };
      const tasks = task.includeChoices ? this.chosen(task, task.includeChoices, host, batch, inherited, loop) : task.block!;
      if (tasks instanceof Error) return this.settle(task, host, batch, failure(tasks), kind);
      for (const t of tasks) if (!(await this.runItem(t, host, batch, inner, kind))) return false;
    }
    return true;
  }

  /** The tasks of the file a templated include names on this host (its candidates were loaded with the playbook). */
  private chosen(task: Task, choices: IncludeChoices, host: HostRun, batch: string[], inherited: Inherited, loop: Vars): Task[] | Error {
    try {
      const vars = this.vars.environment(batch, inherited)(task).vars(host, task.vars, loop);
      const file = resolve(choices.dir, renderText(choices.template, vars));
      const tasks = choices.files.get(file);
      if (tasks) return tasks;
      const had = [...choices.files.keys()].map((f) => basename(f));
      return new Error(`included file not found: ${file}${had.length ? ` (the name can give: ${had.join(", ")})` : ""}`);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }
}
