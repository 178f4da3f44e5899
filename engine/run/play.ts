/**
 * Runs plays. Within a batch of hosts, each top-level task on each host is a
 * node of a graph (needs.ts): nodes run as soon as what they wait for is
 * done, at most `forks` at a time. Handlers run at the end of each batch.
 */
import pLimit from "p-limit";
import type { Play, Task } from "../load/playbook.ts";
import { UnreachableError } from "../connection/types.ts";
import { errorMessage } from "../errors.ts";
import { matchHosts } from "../load/patterns.ts";
import { InputError } from "../errors.ts";
import { TemplateError } from "../template/template.ts";
import { prefetch } from "./prefetch.ts";
import type { HostRun, TaskEnvironment } from "./host-run.ts";
import type { TaskResult } from "../outcome/result.ts";
import { selectedByTags } from "./tags.ts";
import { batches } from "./serial.ts";
import { countResult } from "../outcome/stats.ts";
import { Needs } from "./needs.ts";
import { PlayVars, type Inherited } from "./play-vars.ts";
import { BlockRunner } from "./blocks.ts";
import type { RunContext } from "./context.ts";

class PlayRun {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly vars: PlayVars;
  private readonly needs: Needs;
  private readonly blocks: BlockRunner;
  /** The task gathering facts is reported as. */
  private readonly gathering: Task;

  constructor(
    private readonly ctx: RunContext,
    private readonly play: Play,
    private readonly playHosts: string[],
  ) {
    this.limit = pLimit(Math.max(1, ctx.options.forks));
    this.vars = new PlayVars(ctx, play, playHosts);
    this.needs = new Needs(play, ctx.inventory);
    this.blocks = new BlockRunner(ctx, this.vars, (host, batch) => this.flushHandlers(host, batch));
    this.gathering = { name: "Gathering Facts", where: play.where, loopVar: "item", notify: [], listen: [], tags: ["always"], vars: {} };
  }

  /** Checked before any host is touched: cross-host needs resolve and form no cycle. */
  validate(): void {
    for (const batch of batches(this.playHosts, this.play.serial)) this.needs.checkCycles(batch);
  }

  /**
   * What the play's tasks will read on `host`, fetched at once (see
   * `prefetch`): the tasks of the play and of its static blocks and roles,
   * after the host's facts when the play reads them.
   */
  private async prefetch(host: HostRun, batch: string[]): Promise<void> {
    if (this.play.factsRead.length && !(await this.gather(host))) return;
    const { tags, skipTags } = this.ctx.options;
    const planned: [Task, TaskEnvironment][] = [];
    const walk = (tasks: Task[], inherited: Inherited) => {
      const environment = this.vars.environment(batch, inherited);
      for (const t of tasks) {
        if (t.block && !t.dynamic)
          walk(t.block, {
            when: [...inherited.when, ...(t.when === undefined ? [] : [t.when])],
            vars: { ...inherited.vars, ...t.vars },
            become: t.become ?? inherited.become,
            becomeUser: t.becomeUser ?? inherited.becomeUser,
          });
        else if (!t.block && !t.runOnce && !t.delegateTo && selectedByTags(t, tags, skipTags)) planned.push([t, environment(t)]);
      }
    };
    walk(this.play.tasks, { when: [], vars: {} });
    return prefetch(planned, host);
  }

  /** Gather the host's facts before the play's first task, reported as Ansible's "Gathering Facts"; false when the host failed. */
  private async gather(host: HostRun): Promise<boolean> {
    const started = Date.now();
    let result: TaskResult;
    try {
      await this.vars.gather(host.name, this.vars.groupsOf(this.play.factsRead));
      const known = host.hostFacts;
      result =
        known && "unknown" in known
          ? {
              status: "unknown",
              changed: false,
              msg: `cannot know until an earlier change is applied: facts depend on ${known.unknown}`,
              changes: [],
              values: {},
              durationMs: 0,
            }
          : { status: "ok", changed: false, changes: [], values: {}, durationMs: 0 };
    } catch (e) {
      const status = e instanceof UnreachableError ? "unreachable" : "failed";
      result = { status, changed: false, msg: errorMessage(e), changes: [], values: {}, durationMs: 0 };
    }
    result.durationMs = Date.now() - started;
    this.vars.report(this.gathering, host.name, [host.name], result, "task");
    countResult(this.ctx.stats.get(host.name)!, result);
    if (result.status === "failed" || result.status === "unreachable") host.failed = true;
    return !host.failed;
  }

  async runBatch(batch: string[]): Promise<void> {
    const prefetched = new Map<string, Promise<void>>();
    const nodes = new Map<string, Promise<"ok" | "failed">>();
    const firstOf = new Map<number, string>();
    const node = (i: number, h: string): Promise<"ok" | "failed"> => {
      const key = `${i}@${h}`;
      const existing = nodes.get(key);
      if (existing) return existing;
      const task = this.play.tasks[i];
      const deps = this.needs.dependencies(i, h, batch);
      const p = Promise.all(deps.map(([j, t]) => node(j, t).then((outcome) => ({ outcome, j, t })))).then(async (outcomes) => {
        const host = this.ctx.hosts.get(h)!;
        if (host.failed) return "failed" as const;
        if (host.ended) return "ok" as const;
        const blocked = outcomes.find((o) => o.outcome === "failed" && o.t !== h);
        if (blocked) {
          const msg = `needed task '${this.play.tasks[blocked.j].id}' did not succeed on ${blocked.t}`;
          const result: TaskResult = { status: "failed", changed: false, msg, changes: [], values: {}, durationMs: 0 };
          this.vars.report(task, h, batch, result, "task");
          countResult(this.ctx.stats.get(h)!, result);
          host.failed = true;
          return "failed" as const;
        }
        if (task.runOnce) {
          if (!firstOf.has(i)) firstOf.set(i, h);
          const first = firstOf.get(i)!;
          if (first !== h) {
            const outcome = await node(i, first);
            if (task.register) host.facts[task.register] = this.ctx.hosts.get(first)!.facts[task.register];
            return outcome;
          }
        }
        const ok = await this.limit(async () => {
          if (!prefetched.has(h)) prefetched.set(h, this.prefetch(host, batch));
          await prefetched.get(h);
          if (host.failed) return false;
          return this.blocks.runItem(task, host, batch, { when: [], vars: {} }, "task");
        });
        return ok ? ("ok" as const) : ("failed" as const);
      });
      nodes.set(key, p);
      return p;
    };
    const all: Promise<unknown>[] = [];
    for (const h of batch) this.play.tasks.forEach((_, i) => all.push(node(i, h).then((o) => this.needs.done.set(`${i}@${h}`, o))));
    await Promise.all(all);
    await this.runHandlers(batch);
  }

  /** `meta: flush_handlers` on one host: its notified handlers, in the order the play lists them. */
  private async flushHandlers(host: HostRun, batch: string[]): Promise<void> {
    for (const handler of this.play.handlers) {
      const topics = [handler.name, ...handler.listen];
      if (host.failed || !topics.some((t) => host.notified.has(t))) continue;
      topics.forEach((t) => host.notified.delete(t));
      await this.blocks.runItem(handler, host, batch, { when: [], vars: {} }, "handler");
    }
  }

  private async runHandlers(batch: string[]): Promise<void> {
    for (const handler of this.play.handlers) {
      const topics = [handler.name, ...handler.listen];
      const targets = batch.map((h) => this.ctx.hosts.get(h)!).filter((h) => !h.failed && topics.some((t) => h.notified.has(t)));
      await Promise.all(
        targets.map((h) =>
          this.limit(async () => {
            topics.forEach((t) => h.notified.delete(t));
            await this.blocks.runItem(handler, h, batch, { when: [], vars: {} }, "handler");
          }),
        ),
      );
    }
  }

  async run(): Promise<void> {
    // `meta: end_host` / `end_play` end one play only.
    for (const h of this.playHosts) this.ctx.hosts.get(h)!.ended = false;
    for (const batch of batches(this.playHosts, this.play.serial)) {
      const live = batch.filter((h) => !this.ctx.hosts.get(h)!.failed);
      if (live.length === 0) continue;
      await this.runBatch(live);
      const failed = live.filter((h) => this.ctx.hosts.get(h)!.failed).length;
      if (this.play.maxFailPercentage !== undefined && (failed / live.length) * 100 > this.play.maxFailPercentage) break;
    }
  }
}

/** Hosts a play targets, minus hosts that already failed in earlier plays. */
export function playHosts(ctx: RunContext, play: Play): string[] {
  return matchHosts(play.hosts, ctx.inventory.groups, ctx.inventory.hosts).filter((h) => !ctx.hosts.get(h)?.failed);
}

/**
 * Validate every play against the inventory (patterns, cross-host needs,
 * cycles), then run them in order.
 *
 * @example
 * await runPlays(ctx, plays);
 */
export async function runPlays(ctx: RunContext, plays: Play[]): Promise<void> {
  const runs = plays.map((play) => {
    try {
      return { play, run: new PlayRun(ctx, play, matchHosts(play.hosts, ctx.inventory.groups, ctx.inventory.hosts)) };
    } catch (e) {
      if ((e instanceof InputError && !e.where) || e instanceof TemplateError) throw new InputError(e.message, play.where);
      throw e;
    }
  });
  for (const { run } of runs) run.validate();
  for (const { play } of runs) {
    const hosts = playHosts(ctx, play);
    ctx.reporter.play(play, hosts);
    if (hosts.length === 0) continue;
    await new PlayRun(ctx, play, hosts).run();
  }
}
