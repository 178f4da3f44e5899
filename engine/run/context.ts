/**
 * What a run hands the scheduler: its options, the modules, the inventory
 * as hosts and groups, the hosts' run state, the counters and the reporter.
 */
import type { ModuleRegistry } from "../load/registry.ts";
import type { Vars } from "../vars.ts";
import type { FactCache, HostRun } from "./host-run.ts";
import type { HostStats } from "../outcome/stats.ts";
import type { Reporter } from "../outcome/reporter.ts";

/**
 * The options of one run as the scheduler uses them.
 */
export interface RunOptions {
  check: boolean;
  diff: boolean;
  /** The number of `-v` (`ansible_verbosity`). */
  verbosity: number;
  forks: number;
  tags: string[];
  skipTags: string[];
  extraVars: Vars;
  becomePassword?: string;
  /** Keep gathered facts in JSON files (`fact_caching: jsonfile`). */
  factCache?: FactCache;
}

/** What the scheduler needs to know about the inventory. */
export interface HostSource {
  hosts: string[];
  groups: Record<string, string[]>;
  /** Inventory variables of a host. */
  vars(host: string): Vars;
  groupNames(host: string): string[];
}

/**
 * What a run hands the scheduler: options, modules, inventory, the hosts' state, counters and
 * reporter.
 */
export interface RunContext {
  options: RunOptions;
  registry: ModuleRegistry;
  inventory: HostSource;
  hosts: Map<string, HostRun>;
  stats: Map<string, HostStats>;
  reporter: Reporter;
  /** Values this run's password lookups made or read: secrets the redaction pass hides (see lookups.ts). */
  secrets: Set<string>;
}
