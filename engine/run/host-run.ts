/**
 * One host as a run tracks it, and what a task is run with: the types the
 * scheduler, the task runner and fact gathering share.
 *
 * @example
 * ```ts
 * import type { HostRun } from "./host-run.ts";
 * const seen = (h: HostRun) => `${h.name}: ${h.failed ? "failed" : "running"}, ${h.notified.size} handlers notified`;
 * if (typeof seen !== "function") throw new Error("example");
 * ```
 */
import type { Task } from "../load/playbook.ts";
import type { Module } from "../module.ts";
import type { Connection, Become } from "../connection/types.ts";
import type { HostState } from "../host/probe.ts";
import type { Vars } from "../vars.ts";
import type { Role } from "../load/shapes.ts";

/** Ansible's jsonfile fact cache: a directory, one file per host, valid for `timeoutS` seconds (0: forever). */
export interface FactCache {
  dir: string;
  timeoutS: number;
}

/**
 * A host's facts, as the run knows them: their values and the `gather_subset`
 * groups gathered (`all`: whatever the play asked for), or (check mode) why
 * they cannot be known.
 */
export type KnownFacts = { facts: Vars; groups: Set<string> | "all" } | { unknown: string };

/**
 * One host as the scheduler tracks it.
 *
 * @example
 * ```ts
 * import type { HostRun } from "./host-run.ts";
 * const registered = (h: HostRun, name: string) => h.facts[name];
 * if (typeof registered !== "function") throw new Error("example");
 * ```
 */
export interface HostRun {
  name: string;
  state: HostState;
  connect(): Promise<Connection>;
  /** Registered results and set facts, above play vars: data, never rendered. */
  facts: Vars;
  /** Variables from `include_vars`: templates in them render when read. */
  includedVars: Vars;
  /** Facts gathered (setup) or returned by modules; unset until gathered. */
  hostFacts?: KnownFacts;
  notified: Set<string>;
  failed: boolean;
  /** `meta: end_host` or `end_play` ended the current play for this host (not a failure). */
  ended?: boolean;
  /**
   * Check mode: the last task on this host whose result was unknown. Had it
   * run, it might have set variables or facts (set_fact, getent, include_vars):
   * a later template that finds one undefined is unknown, not failed.
   */
  unknownTask?: string;
}

/**
 * What a task runs with besides itself and its host.
 *
 * @example
 * ```ts
 * import type { TaskEnvironment } from "./host-run.ts";
 * const mode = (env: TaskEnvironment) => (env.check ? "check" : "run");
 * if (typeof mode !== "function") throw new Error("example");
 * ```
 */
export interface TaskEnvironment {
  module?: Module;
  check: boolean;
  playbookDir: string;
  /** Variables of `host` for this task; `loop` holds loop variables, which are data (never rendered again). */
  vars(host: HostRun, extra?: Vars, loop?: Vars): Vars;
  hosts: Map<string, HostRun>;
  become(task: Task, host: HostRun, vars: Vars): Become | undefined;
  /** The `when` conditions of the blocks around the task, outermost first: it runs only where they and its own hold. */
  inheritedWhen: unknown[];
  /** The role whose files hold the task. */
  role?: Role;
  /** Gather the facts of a host (named by inventory name) now: one group of them, or all. */
  gatherFacts(host: string, group?: string): Promise<void>;
}
