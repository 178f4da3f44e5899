/**
 * Runs plays. Within a batch of hosts, each top-level task on each host is a
 * node of a graph: by default a node waits for the task before it on the same
 * host; a task with `needs` waits only for the tasks it names, on its own host
 * (`id`) or on others (`id@pattern`). Nodes run as soon as what they wait for
 * is done, at most `forks` at a time. Handlers run at the end of each batch.
 */
import pLimit from "p-limit";
import { dirname, resolve } from "node:path";
import type { Play, Task } from "../load/playbook.ts";
import { loadVarsFile, parseNeed, topLevelOf, walkTasks } from "../load/playbook.ts";
import type { ModuleRegistry } from "../load/registry.ts";
import { prefetch, runTask, type HostRun, type TaskEnvironment, type TaskResult } from "./task.ts";
import { matchHosts } from "../load/patterns.ts";
import { InputError } from "../errors.ts";
import { data, scope, type Vars } from "../template/vars.ts";
import { renderText, TemplateError } from "../template/template.ts";
import { Redactor } from "../report/redact.ts";
import { findCycle } from "./graph.ts";
import type { Become } from "../connection/types.ts";

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
  /** Check mode: tasks that cannot know until an earlier change is applied. */
  unknown: number;
}

export interface Reporter {
  play(play: Play, hosts: string[]): void;
  result(task: Task, host: string, result: TaskResult, kind: "task" | "handler"): void;
}

export interface RunOptions {
  check: boolean;
  diff: boolean;
  forks: number;
  tags: string[];
  skipTags: string[];
  extraVars: Vars;
  becomePassword?: string;
}

/** What the scheduler needs to know about the inventory. */
export interface HostSource {
  hosts: string[];
  groups: Record<string, string[]>;
  /** Inventory variables of a host. */
  vars(host: string): Vars;
  groupNames(host: string): string[];
}

export interface RunContext {
  options: RunOptions;
  registry: ModuleRegistry;
  inventory: HostSource;
  hosts: Map<string, HostRun>;
  stats: Map<string, HostStats>;
  reporter: Reporter;
}

export function newStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, unknown: 0 };
}

/** Whether a task is selected by --tags / --skip-tags, with Ansible's `always` and `never`. */
export function selectedByTags(task: Task, tags: string[], skipTags: string[]): boolean {
  const has = (t: string) => task.tags.includes(t);
  if (skipTags.some(has)) return false;
  if (has("always")) return true;
  if (tags.length === 0 || tags.includes("all")) return !has("never");
  return tags.some(has) || (tags.includes("tagged") && task.tags.length > 0) || (tags.includes("untagged") && task.tags.length === 0);
}

function count(ctx: RunContext, host: string, r: TaskResult): void {
  const s = ctx.stats.get(host)!;
  if (r.status === "unreachable") s.unreachable++;
  else if (r.status === "failed") r.ignored ? s.ignored++ : s.failed++;
  else if (r.status === "skipped") s.skipped++;
  else if (r.status === "unknown") s.unknown++;
  else {
    s.ok++;
    if (r.changed) s.changed++;
  }
}

function batches(hosts: string[], serial?: (number | string)[]): string[][] {
  if (!serial?.length) return [hosts];
  const out: string[][] = [];
  let i = 0;
  let step = 0;
  while (i < hosts.length) {
    const spec = serial[Math.min(step++, serial.length - 1)];
    const size = typeof spec === "string" && spec.endsWith("%")
      ? Math.max(1, Math.floor((hosts.length * Number(spec.slice(0, -1))) / 100))
      : Math.max(1, Number(spec));
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}

/** A play's `vars_files`, read before any host is touched (names may be templates of play and extra vars). */
function loadVarsFiles(play: Play, vars: Vars): Vars {
  const out: Vars = {};
  for (const f of play.varsFiles) {
    Object.assign(out, loadVarsFile(resolve(dirname(play.file), renderText(f, vars))));
  }
  return out;
}

/** Variables that are secret in every play: what authenticates hoist to hosts. */
const SECRET_VARS = ["ansible_become_password", "ansible_become_pass", "ansible_password", "ansible_ssh_pass"];

class PlayRun {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly varsFiles: Vars;
  private readonly done = new Map<string, "ok" | "failed">();

  constructor(private readonly ctx: RunContext, private readonly play: Play, private readonly playHosts: string[]) {
    this.limit = pLimit(Math.max(1, ctx.options.forks));
    this.varsFiles = loadVarsFiles(play, scope(play.vars, ctx.options.extraVars));
  }

  private readonly magicVars = new WeakMap<string[], Map<string, Vars>>();
  private readonly redactors = new Map<string, Redactor>();

  /** Report a result, through the one redaction pass. */
  private report(task: Task, host: string, batch: string[], result: TaskResult, kind: "task" | "handler"): void {
    let redactor = this.redactors.get(host);
    if (!redactor) {
      const vars = this.vars(host, batch);
      const values = [...SECRET_VARS, ...this.play.secret].map((name) => {
        try {
          return vars[name];
        } catch {
          return undefined; // A secret that does not render is not in any output either.
        }
      });
      this.redactors.set(host, (redactor = new Redactor([...values, this.ctx.options.becomePassword])));
    }
    this.ctx.reporter.result(task, host, redactor.result(result, { noLog: task.noLog }), kind);
  }

  /** The magic variables of `host`, made once per batch: they hold a getter per inventory host. */
  private magic(host: string, batch: string[]): Vars {
    let known = this.magicVars.get(batch);
    if (!known) this.magicVars.set(batch, (known = new Map()));
    return known.get(host) ?? known.set(host, this.makeMagic(host, batch)).get(host)!;
  }

  private makeMagic(host: string, batch: string[]): Vars {
    const ctx = this.ctx;
    // A null prototype keeps scope() from walking into every host while it looks for templates.
    const hostvars: Vars = Object.create(null);
    for (const h of ctx.inventory.hosts) {
      Object.defineProperty(hostvars, h, { enumerable: true, get: () => this.vars(h, batch) });
    }
    return {
      inventory_hostname: host,
      inventory_hostname_short: host.split(".")[0],
      groups: ctx.inventory.groups,
      group_names: ctx.inventory.groupNames(host),
      hostvars,
      play_hosts: batch,
      ansible_play_hosts: this.playHosts,
      ansible_play_batch: batch,
      ansible_check_mode: ctx.options.check,
      ansible_diff_mode: ctx.options.diff,
      playbook_dir: dirname(resolve(this.play.file)),
    };
  }

  vars(host: string, batch: string[], extra?: Vars, loop?: Vars): Vars {
    const run = this.ctx.hosts.get(host)!;
    return scope(this.magic(host, batch), this.ctx.inventory.vars(host), this.play.vars, this.varsFiles, data(run.facts), extra, loop && data(loop), this.ctx.options.extraVars);
  }

  private become(task: Task, vars: Vars, inherited: { become?: boolean; becomeUser?: string }): Become | undefined {
    const on = task.become ?? inherited.become ?? this.play.become ?? vars.ansible_become;
    if (!on || on === "false") return undefined;
    const user = task.becomeUser ?? inherited.becomeUser ?? this.play.becomeUser ?? (vars.ansible_become_user as string | undefined) ?? "root";
    const password = (vars.ansible_become_password ?? vars.ansible_become_pass ?? this.ctx.options.becomePassword) as string | undefined;
    return { user, ...(password !== undefined ? { password: String(password) } : {}) };
  }

  private environment(batch: string[], inherited: { when: unknown[]; vars: Vars; become?: boolean; becomeUser?: string }): (task: Task) => TaskEnvironment {
    return (task) => ({
      module: task.module ? this.ctx.registry.require(task.module) : undefined,
      check: this.ctx.options.check,
      playbookDir: dirname(resolve(this.play.file)),
      vars: (host, extra, loop) => this.vars(host.name, batch, { ...inherited.vars, ...extra }, loop),
      hosts: this.ctx.hosts,
      become: (t, _host, vars) => this.become(t, vars, inherited),
      inheritedWhen: inherited.when,
    });
  }

  /** Run a task or block on one host; returns whether the host may go on. */
  private async runItem(task: Task, host: HostRun, batch: string[], inherited: { when: unknown[]; vars: Vars; become?: boolean; becomeUser?: string }, kind: "task" | "handler"): Promise<boolean> {
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
    const result = await runTask(task, host, this.environment(batch, inherited)(task));
    this.report(task, host.name, batch, result, kind);
    count(this.ctx, host.name, result);
    if ((result.status === "failed" && !result.ignored) || result.status === "unreachable") {
      host.failed = true;
      return false;
    }
    return true;
  }

  /** Node dependencies of task `i` on `host`: [taskIndex, host] pairs. */
  private dependencies(i: number, host: string, batch: string[]): [number, string][] {
    const task = this.play.tasks[i];
    if (!task.needs) return i > 0 ? [[i - 1, host]] : [];
    const index = new Map<Task, number>(this.play.tasks.map((t, j) => [t, j]));
    const byId = new Map<string, Task>();
    for (const t of walkTasks(this.play.tasks)) if (t.id) byId.set(t.id, t);
    return task.needs.flatMap((need) => {
      const { id, pattern } = parseNeed(need);
      const j = index.get(topLevelOf(this.play, byId.get(id)!))!;
      if (!pattern) return [[j, host]] as [number, string][];
      let targets: string[];
      try {
        targets = matchHosts(pattern, this.ctx.inventory.groups, this.ctx.inventory.hosts);
      } catch (e) {
        throw e instanceof InputError ? new InputError(`needs '${need}': ${e.message}`, task.where) : e;
      }
      if (targets.length === 0) throw new InputError(`needs '${need}': pattern matches no host`, task.where);
      return targets.flatMap((t): [number, string][] => {
        if (batch.includes(t)) return [[j, t]];
        if (this.done.has(`${j}@${t}`)) return [];
        throw new InputError(`needs '${need}': host '${t}' does not run this play in this batch or an earlier one`, task.where);
      });
    });
  }

  private checkCycles(batch: string[]): void {
    const nodes = batch.flatMap((h) => this.play.tasks.map((_, i): [number, string] => [i, h]));
    const cycle = findCycle(nodes, ([i, h]) => this.dependencies(i, h, batch), ([i, h]) => `${i}@${h}`);
    if (cycle) {
      const label = ([i, h]: [number, string]) => `${this.play.tasks[i].id ?? this.play.tasks[i].name}@${h}`;
      throw new InputError(`task dependencies form a cycle: ${cycle.map(label).join(" -> ")}`, this.play.tasks[cycle[0][0]].where);
    }
  }

  /** Checked before any host is touched: cross-host needs resolve and form no cycle. */
  validate(): void {
    for (const batch of batches(this.playHosts, this.play.serial)) this.checkCycles(batch);
  }

  /** What the play's tasks will read on `host`, fetched at once (see `prefetch`). */
  private prefetch(host: HostRun, batch: string[]): Promise<void> {
    const { tags, skipTags } = this.ctx.options;
    const environment = this.environment(batch, { when: [], vars: {} });
    const tasks = this.play.tasks.filter((t) => !t.block && !t.runOnce && !t.delegateTo && selectedByTags(t, tags, skipTags));
    return prefetch(tasks.map((t) => [t, environment(t)]), host);
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
      const deps = this.dependencies(i, h, batch);
      const p = Promise.all(deps.map(([j, t]) => node(j, t).then((outcome) => ({ outcome, j, t })))).then(async (outcomes) => {
        const host = this.ctx.hosts.get(h)!;
        if (host.failed) return "failed" as const;
        const blocked = outcomes.find((o) => o.outcome === "failed" && o.t !== h);
        if (blocked) {
          const msg = `needed task '${this.play.tasks[blocked.j].id}' did not succeed on ${blocked.t}`;
          const result: TaskResult = { status: "failed", changed: false, msg, changes: [], values: {}, durationMs: 0 };
          this.report(task, h, batch, result, "task");
          count(this.ctx, h, result);
          host.failed = true;
          return "failed" as const;
        }
        if (task.runOnce) {
          const first = firstOf.get(i) ?? (firstOf.set(i, h), h);
          if (first !== h) {
            const outcome = await node(i, first);
            if (task.register) host.facts[task.register] = this.ctx.hosts.get(first)!.facts[task.register];
            return outcome;
          }
        }
        const ok = await this.limit(async () => {
          if (!prefetched.has(h)) prefetched.set(h, this.prefetch(host, batch));
          await prefetched.get(h);
          return this.runItem(task, host, batch, { when: [], vars: {} }, "task");
        });
        return ok ? ("ok" as const) : ("failed" as const);
      });
      nodes.set(key, p);
      return p;
    };
    const all: Promise<unknown>[] = [];
    for (const h of batch) this.play.tasks.forEach((_, i) => all.push(node(i, h).then((o) => this.done.set(`${i}@${h}`, o))));
    await Promise.all(all);
    await this.runHandlers(batch);
  }

  private async runHandlers(batch: string[]): Promise<void> {
    for (const handler of this.play.handlers) {
      const topics = [handler.name, ...handler.listen];
      const targets = batch.map((h) => this.ctx.hosts.get(h)!).filter((h) => !h.failed && topics.some((t) => h.notified.has(t)));
      await Promise.all(
        targets.map((h) =>
          this.limit(async () => {
            topics.forEach((t) => h.notified.delete(t));
            await this.runItem(handler, h, batch, { when: [], vars: {} }, "handler");
          }),
        ),
      );
    }
  }

  async run(): Promise<void> {
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
