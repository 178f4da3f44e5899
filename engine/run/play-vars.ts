/**
 * What a task sees on a host in one play: the variables (role defaults,
 * magic, inventory, host facts, play, vars_files, role vars, included vars,
 * registered and set facts, block/task, loop, extra — low to high), its
 * become, and the environment the task runner gets. Also the one place a
 * result goes out through redaction, since what is secret is a variable.
 */
import { dirname, resolve } from "node:path";
import type { Play, Task } from "../load/playbook.ts";
import { loadVarsFile } from "../load/vars-file.ts";
import type { Role } from "../load/shapes.ts";
import { factsLayer, factsModule, gatherFacts } from "./gather.ts";
import { data, scope } from "../template/vars.ts";
import type { Vars } from "../vars.ts";
import { renderText } from "../template/template.ts";
import { Redactor } from "../report/redact.ts";
import { RUN_SECRETS } from "../vars.ts";
import type { Become } from "../connection/types.ts";
import type { RunContext } from "./context.ts";
import type { TaskEnvironment } from "./host-run.ts";
import type { TaskResult } from "../outcome/result.ts";

/** A user sudo's `-u` may be given: a name as useradd allows it, or `#UID`-free digits (never an option). */
const ACCOUNT = /^([A-Za-z_][A-Za-z0-9_.-]*\$?|[0-9]+)$/;

/**
 * `ansible_version`: the ansible-core whose templating and module semantics hoist follows (its
 * differential suites run against 2.19), so that roles gating on a version take the current path.
 */
const ANSIBLE_VERSION = Object.freeze({ full: "2.19.0", major: 2, minor: 19, revision: 0, string: "2.19.0 (hoist)" });

/** What a block passes to the tasks inside it. */
export interface Inherited {
  when: unknown[];
  vars: Vars;
  /** Loop variables of enclosing dynamic includes: data, never rendered again. */
  loop?: Vars;
  become?: boolean;
  becomeUser?: string;
}

/** A play's `vars_files`: those read at load time, and those whose names are templates (of play and extra vars), read now, before any host is touched. */
function loadVarsFiles(play: Play, vars: Vars): Vars {
  const out: Vars = {};
  for (const f of play.varsFiles) {
    Object.assign(out, play.loadedVarsFiles.get(f) ?? loadVarsFile(resolve(dirname(play.file), renderText(f, vars))));
  }
  return out;
}

/** Variables that are secret in every play: what authenticates hoist to hosts. */
const SECRET_VARS = ["ansible_become_password", "ansible_become_pass", "ansible_password", "ansible_ssh_pass"];

/**
 * The variables of one play, layered as Ansible does (inventory, play, role, include_vars,
 * set_fact and registered, extra vars).
 */
export class PlayVars {
  private readonly varsFiles: Vars;
  private readonly magicVars = new WeakMap<string[], Map<string, Vars>>();
  /** Per host, with how many lookup secrets it knows. */
  private readonly redactors = new Map<string, { redactor: Redactor; lookups: number }>();
  private readonly factGroups: Readonly<Record<string, string>>;

  constructor(
    private readonly ctx: RunContext,
    private readonly play: Play,
    private readonly playHosts: string[],
  ) {
    this.varsFiles = loadVarsFiles(play, scope(play.vars, ctx.options.extraVars));
    this.factGroups = factsModule(ctx)?.gathersFacts ?? {};
  }

  /** The groups that hold `names` (facts without `ansible_`); undefined when `*` (all of them) is among them. */
  groupsOf(names: string[]): string[] | undefined {
    if (names.includes("*")) return undefined;
    return [...new Set(names.map((n) => this.factGroups[n] ?? "network"))].sort();
  }

  /**
   * Gather `host`'s facts now: those `groups` (none: everything the play's
   * `gather_subset` says). Groups are gathered alone only with the default
   * subset and no fact cache (a cache keeps whole sets of facts).
   */
  gather(host: string, groups?: string[]): Promise<void> {
    const narrow = groups !== undefined && this.play.gatherSubset.join() === "all" && !this.ctx.options.factCache;
    const subset = narrow ? ["!all", "!min", ...groups] : this.play.gatherSubset;
    return gatherFacts(this.ctx, this.ctx.hosts.get(host)!, subset, dirname(resolve(this.play.file)), narrow ? new Set(groups) : "all");
  }

  /** Report a result, through the one redaction pass. */
  report(task: Task, host: string, batch: string[], result: TaskResult, kind: "task" | "handler"): void {
    let redactor = this.redactors.get(host)?.redactor;
    // A password lookup made since the redactor was built is a secret it must know too.
    const lookups = this.ctx.secrets;
    if (!redactor || this.redactors.get(host)!.lookups !== lookups.size) {
      const vars = this.vars(host, batch);
      const values = [...SECRET_VARS, ...this.play.secret].map((name) => {
        try {
          return vars[name];
        } catch {
          return undefined; // A secret that does not render is not in any output either.
        }
      });
      redactor = new Redactor([...values, this.ctx.options.becomePassword, ...lookups]);
      this.redactors.set(host, { redactor, lookups: lookups.size });
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
      ansible_verbosity: ctx.options.verbosity,
      // Ansible's default text for `{{ ansible_managed }}` in templates (inventory or play vars may set their own).
      ansible_managed: "Ansible managed",
      ansible_version: ANSIBLE_VERSION,
      playbook_dir: dirname(resolve(this.play.file)),
      [RUN_SECRETS]: ctx.secrets,
    };
  }

  vars(host: string, batch: string[], extra?: Vars, loop?: Vars, role?: Role): Vars {
    const run = this.ctx.hosts.get(host)!;
    return scope(
      role?.defaults,
      this.magic(host, batch),
      role && data({ role_path: role.dir, role_name: role.name }),
      this.ctx.inventory.vars(host),
      factsLayer(run, this.factGroups, this.play.gatherFacts),
      this.play.vars,
      this.varsFiles,
      role?.vars,
      run.includedVars,
      data(run.facts),
      extra,
      loop && data(loop),
      this.ctx.options.extraVars,
    );
  }

  private become(task: Task, vars: Vars, inherited: Omit<Inherited, "when" | "vars">): Become | undefined {
    const on = task.become ?? inherited.become ?? this.play.become ?? vars.ansible_become;
    if (!on || on === "false") return undefined;
    const declared = task.becomeUser ?? inherited.becomeUser ?? this.play.becomeUser ?? (vars.ansible_become_user as string | undefined) ?? "root";
    // `become_user: "{{ user.name }}"` renders per task (and item); what reaches sudo's -u must be a user's name.
    const user = String(renderText(String(declared), vars));
    if (!ACCOUNT.test(user)) throw new Error(`become_user ${JSON.stringify(user)} is not a user name`);
    const password = (vars.ansible_become_password ?? vars.ansible_become_pass ?? this.ctx.options.becomePassword) as string | undefined;
    return { user, ...(password !== undefined ? { password: String(password) } : {}) };
  }

  environment(batch: string[], inherited: Inherited): (task: Task) => TaskEnvironment {
    return (task) => ({
      module: task.module ? this.ctx.registry.require(task.module) : undefined,
      check: this.ctx.options.check,
      playbookDir: dirname(resolve(this.play.file)),
      vars: (host, extra, loop) => this.vars(host.name, batch, { ...inherited.vars, ...extra }, { ...inherited.loop, ...loop }, task.role),
      role: task.role,
      gatherFacts: (host, group) => this.gather(host, group ? [group] : undefined),
      hosts: this.ctx.hosts,
      become: (t, _host, vars) => this.become(t, vars, inherited),
      inheritedWhen: inherited.when,
    });
  }
}
