/**
 * What a loaded playbook is made of: plays, their tasks, and the roles the
 * tasks come from — the data the loaders (playbook.ts, tasks.ts, roles.ts)
 * build and the run reads.
 *
 * @example
 * ```ts
 * import type { Play, Task } from "./shapes.ts";
 * const names = (play: Play): string[] => play.tasks.map((t: Task) => t.name);
 * if (typeof names !== "function") throw new Error("example");
 * ```
 */
import type { Where } from "../errors.ts";
import type { Vars } from "../vars.ts";
import type { OptionSpec } from "./argument-spec.ts";

/**
 * A role as its tasks see it: where it is and its two layers of variables.
 *
 * @example
 * const role: Role = { name: "common", dir: "/srv/site/roles/common", defaults: { ntp: "pool.ntp.org" }, vars: {} };
 */
export interface Role {
  name: string;
  dir: string;
  /** `defaults/main.yml`: below every other variable. */
  defaults: Vars;
  /** `vars/main.yml`: above play vars and vars_files. */
  vars: Vars;
}

/**
 * One task as loaded: its module and arguments, keywords (`when`, `loop`, `register`, `notify`,
 * …) and where it is written.
 */
export interface Task {
  name: string;
  where: Where;
  /** Set for a module call; unset for blocks. */
  module?: string;
  args?: unknown;
  /** `environment:` of the task, its blocks and its play (merged at load; templates render on the host's turn). */
  environment?: unknown;
  /** `with_<lookup>` (and with_items): the lookup whose answer for the `loop` terms is the items. */
  loopLookup?: string;
  /**
   * A role's argument specification for this entry point (meta/argument_specs.yml): the engine
   * checks the role's variables against it before the role's first task, as Ansible does.
   */
  argumentSpec?: { entry: string; options: Record<string, OptionSpec> };
  /** `meta: flush_handlers` and the other meta actions: run by the engine itself, not a module. */
  meta?: string;
  /** An Ansible module hoist does not implement, named as the task names it: the task fails on a host that reaches it. */
  unimplemented?: string;
  block?: Task[];
  rescue?: Task[];
  always?: Task[];
  id?: string;
  needs?: string[];
  when?: unknown;
  loop?: unknown;
  loopVar: string;
  loopLabel?: string;
  register?: string;
  notify: string[];
  listen: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  checkMode?: boolean;
  diff?: boolean;
  changedWhen?: unknown;
  failedWhen?: unknown;
  ignoreErrors?: boolean;
  retries?: number;
  delay?: number;
  until?: unknown;
  runOnce?: boolean;
  /** At most this many hosts run the task at once (Ansible's `throttle`): rolling restarts. */
  throttle?: number;
  delegateTo?: string;
  vars: Vars;
  noLog?: boolean;
  /** Seconds each command of the task may run (Ansible's `timeout`); past it the task fails. */
  timeout?: number;
  /** The role whose files hold the task: its variables and its `files/`/`templates/`. */
  role?: Role;
  /**
   * An `include_tasks`/`include_role`: its `when` and `loop` are decided once,
   * when the run reaches it, and do not pass to the tasks inside.
   */
  dynamic?: boolean;
  /** An include whose file name is a template: the files it can name, each loaded; the host's render picks one. */
  includeChoices?: IncludeChoices;
  /** With `delegate_to`: the facts a task gathers belong to the delegate. */
  delegateFacts?: boolean;
}

/**
 * One play as loaded: its hosts pattern, variables, tasks (roles expanded), handlers and
 * keywords.
 */
export interface Play {
  name: string;
  hosts: string;
  where: Where;
  file: string;
  vars: Vars;
  varsFiles: string[];
  /** The `vars_files` named without templates, read (and checked) when the playbook loaded. */
  loadedVarsFiles: Map<string, Vars>;
  become?: boolean;
  becomeUser?: string;
  tasks: Task[];
  handlers: Task[];
  serial?: (number | string)[];
  maxFailPercentage?: number;
  tags: string[];
  /** Variables whose values the output never shows. */
  secret: string[];
  /** `gather_facts` (default true): facts are there for whatever reads them. */
  gatherFacts: boolean;
  /** `gather_subset`: which facts (`all`, `min`, `network`, `hardware`, `!hardware`, …). */
  gatherSubset: string[];
  /** The facts the play's own text reads (see uses-facts.ts; `*`: all): gathered before its first task. */
  factsRead: string[];
}

/**
 * The candidates of a templated include (`setup-{{ ansible_os_family }}.yml`): the name, where it is
 * resolved, and each matching file's tasks.
 *
 * @example
 * const c: IncludeChoices = { template: "setup-{{ os }}.yml", dir: "/srv/roles/x/tasks", files: new Map() };
 */
export interface IncludeChoices {
  template: string;
  dir: string;
  files: Map<string, Task[]>;
}
