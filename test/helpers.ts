/**
 * Shared test helpers: run playbook text through the real loader and
 * scheduler on the local connection, collecting results.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadModules, type ModuleRegistry } from "../engine/registry.ts";
import { loadPlaybook } from "../engine/playbook.ts";
import { parseIniInventory, hostVariables, groupsMap, groupsOf, emptyInventory, type Inventory } from "../engine/inventory.ts";
import { runPlays, newStats, type HostStats, type RunOptions } from "../engine/scheduler.ts";
import { HostState } from "../engine/probe.ts";
import { LocalConnection } from "../engine/connection/local.ts";
import type { HostRun, TaskResult } from "../engine/runner.ts";
import type { Connection } from "../engine/connection/types.ts";

export function tempDir(prefix = "hoist-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Recorded {
  task: string;
  host: string;
  kind: string;
  result: TaskResult;
}

export interface RunOutcome {
  results: Recorded[];
  stats: Map<string, HostStats>;
  hosts: Map<string, HostRun>;
  byTask(name: string, host?: string): TaskResult;
}

let registry: Promise<ModuleRegistry> | undefined;
export const modules = (extra: string[] = []) => (extra.length ? loadModules(extra) : (registry ??= loadModules()));

/**
 * Run playbook YAML against an INI inventory (all hosts local by default).
 *
 * @example
 * const out = await runPlaybook(`- hosts: all\n  tasks: [{ debug: { msg: hi } }]`);
 */
export async function runPlaybook(
  playbook: string,
  options: Partial<RunOptions> & { inventory?: string; modules?: string[]; connect?: (host: string) => Promise<Connection> } = {},
): Promise<RunOutcome> {
  const dir = tempDir();
  const file = join(dir, "playbook.yaml");
  writeFileSync(file, playbook);
  const reg = await modules(options.modules);
  const plays = loadPlaybook(file, reg);
  const inv: Inventory = parseIniInventory(options.inventory ?? "localhost ansible_connection=local\n", join(dir, "hosts"), emptyInventory());
  const groups = groupsMap(inv);
  groups.all = inv.hosts;
  const hosts = new Map<string, HostRun>();
  const opened: Promise<Connection>[] = [];
  for (const name of inv.hosts) {
    let conn: Promise<Connection> | undefined;
    hosts.set(name, {
      name,
      state: new HostState(),
      connect: () => {
        if (!conn) opened.push((conn = options.connect ? options.connect(name) : Promise.resolve(new LocalConnection(name))));
        return conn;
      },
      facts: {},
      notified: new Set(),
      failed: false,
      unreachable: false,
    });
  }
  const results: Recorded[] = [];
  const stats = new Map(inv.hosts.map((h) => [h, newStats()]));
  await runPlays(
    {
      options: { check: false, diff: false, forks: 50, tags: [], skipTags: [], extraVars: {}, ...options },
      registry: reg,
      inventory: { hosts: inv.hosts, groups, vars: (h) => hostVariables(inv, h), groupNames: (h) => groupsOf(inv, h) },
      hosts,
      stats,
      reporter: { play() {}, result: (task, host, result, kind) => results.push({ task: task.name, host, kind, result }) },
    },
    plays,
  ).finally(() => Promise.allSettled(opened.map(async (c) => (await c).close())));
  return {
    results,
    stats,
    hosts,
    byTask(name, host) {
      const r = results.find((x) => x.task === name && (host === undefined || x.host === host));
      if (!r) throw new Error(`no result for task '${name}'${host ? ` on ${host}` : ""}; have: ${results.map((x) => `${x.task}@${x.host}`).join(", ")}`);
      return r.result;
    },
  };
}

/** Write a playbook file and return its path (for loader error tests). */
export function writePlaybook(text: string, name = "playbook.yaml"): string {
  const dir = tempDir();
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}
