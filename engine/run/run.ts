/**
 * The one run API: load a playbook and an inventory, validate everything,
 * connect lazily, run the plays, and return every result with where its task
 * is written. `hoist run`, the tests and whatever reports drift call this;
 * the CLI only turns options into a request and the outcome into an exit code.
 *
 * @example
 * const outcome = await createRun({ playbook: "site.yaml", inventory: "inventories/lab", check: true });
 * outcome.stats.get("node1")?.changed // 0 when nothing drifted
 */
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { InputError, errorMessage } from "../errors.ts";
import { loadModules, type ModuleRegistry } from "../load/registry.ts";
import { loadPlaybook, type Play, type Task } from "../load/playbook.ts";
import { implicitInventory, loadInventory, hostVariables, groupsMap, groupsOf, type Inventory } from "../load/inventory.ts";
import { runPlays } from "./play.ts";
import { newStats, type HostStats } from "../outcome/stats.ts";
import type { HostSource } from "./context.ts";
import type { Reporter } from "../outcome/reporter.ts";
import { matchHosts } from "../load/patterns.ts";
import { HostState } from "../host/probe.ts";
import { openConnection, sshArgsOf, type ConnectOptions } from "../connection/index.ts";
import { sshArgSettings } from "../connection/ssh-args.ts";
import type { Connection } from "../connection/types.ts";
import type { HostRun } from "./host-run.ts";
import type { TaskResult } from "../outcome/result.ts";
import type { FactCache } from "./host-run.ts";
import { formatWhere } from "../errors.ts";
import type { Vars } from "../vars.ts";

/**
 * What to run: playbook, inventory, mode and options: the input of `createRun`, what the CLI
 * builds from its flags.
 */
export interface RunRequest {
  /** The playbook file. */
  playbook: string;
  /** An inventory file or directory; none: `localhost` on the local connection. */
  inventory?: string;
  check?: boolean;
  diff?: boolean;
  /** How many `-v` the run was given (`ansible_verbosity`). */
  verbosity?: number;
  /** A host pattern the run is limited to (`--limit`). */
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  extraVars?: Vars;
  forks?: number;
  /** Directories of modules of one's own (`--modules`). */
  modules?: string[];
  becomePassword?: string;
  /** Role directories searched after `roles/` beside the playbook (Ansible's `roles_path`). */
  rolesPath?: string[];
  /** Keep gathered facts in JSON files, reused while younger than the timeout. */
  factCache?: FactCache;
  /** SSH settings (host keys, timeouts). */
  ssh?: Partial<ConnectOptions["ssh"]>;
  /** Hold each host's run lock while connected, waiting at most this long (ms); none: no lock. */
  lockTimeoutMs?: number;
  /** Open the connection to a host yourself (tests); default: as its variables say. */
  connect?: (host: string, vars: Vars) => Promise<Connection>;
  /** Told of each play and each result as they happen (results arrive redacted). */
  reporter?: Reporter;
  /** Aborted: running steps finish their writes, nothing new starts. */
  signal?: AbortSignal;
}

/** One result, with its task's place in the playbook and a stable identity. */
export interface ReportedResult {
  play: string;
  task: string;
  /** `file:line` of the task. */
  where: string;
  /** Stable across runs while the playbook keeps its names: play, task id or name (#n for repeats), host. */
  identity: string;
  host: string;
  kind: "task" | "handler";
  result: TaskResult;
}

/**
 * What a run did: every result in order with its identity, the recap counters per host, and how
 * long it took.
 */
export interface RunOutcome {
  results: ReportedResult[];
  /** Per host that took part. */
  stats: Map<string, HostStats>;
  hosts: Map<string, HostRun>;
  durationMs: number;
  interrupted: boolean;
  /** The result of task `name` (on `host`); throws naming what there is when there is none. */
  byTask(name: string, host?: string): TaskResult;
}

function hostSource(inv: Inventory): HostSource {
  const groups = groupsMap(inv);
  const cache = new Map<string, Vars>();
  return {
    hosts: inv.hosts,
    groups,
    vars: (h) => cache.get(h) ?? cache.set(h, hostVariables(inv, h)).get(h)!,
    groupNames: (h) => groupsOf(inv, h).filter((g) => g !== "all" && g !== "ungrouped"),
  };
}

function limitTo(source: HostSource, pattern: string): void {
  let allowed: Set<string>;
  try {
    allowed = new Set(matchHosts(pattern, source.groups, source.hosts));
  } catch (e) {
    throw e instanceof InputError ? new InputError(`--limit: ${e.message}`) : e;
  }
  source.hosts.splice(0, source.hosts.length, ...source.hosts.filter((h) => allowed.has(h)));
  for (const g of Object.keys(source.groups)) source.groups[g] = source.groups[g].filter((h) => allowed.has(h));
}

/** OpenSSH options in the inventory are refused before any host is touched when hoist cannot honour them. */
function checkSshArgs(source: HostSource, acceptNewHostKeys: boolean): void {
  for (const h of source.hosts) {
    const vars = source.vars(h);
    if (String(vars.ansible_connection ?? "ssh") === "local") continue;
    const args = sshArgsOf(vars);
    if (!args || args.includes("{{")) continue;
    try {
      sshArgSettings(args, acceptNewHostKeys);
    } catch (e) {
      throw new InputError(`host ${h}: ansible_ssh_common_args/ansible_ssh_extra_args: ${errorMessage(e)}`);
    }
  }
}

/** Names tasks stably: play name, task id or name, `#n` when a name repeats in a play. */
function identities(plays: Play[]): Map<Task, string> {
  const out = new Map<Task, string>();
  for (const play of plays) {
    const seen = new Map<string, number>();
    const walk = (tasks: Task[]) => {
      for (const t of tasks) {
        const name = t.id ?? t.name;
        const n = (seen.get(name) ?? 0) + 1;
        seen.set(name, n);
        out.set(t, `${play.name} / ${name}${n > 1 ? ` #${n}` : ""}`);
        for (const inner of [t.block, t.rescue, t.always, ...(t.includeChoices?.files.values() ?? [])]) if (inner) walk(inner);
      }
    };
    walk(play.tasks);
    walk(play.handlers);
  }
  return out;
}

/** How long an interrupted run lets running commands finish before it ends them. */
export const INTERRUPT_GRACE_MS = 5000;

/**
 * Run a playbook; bad input throws InputError before any host is touched.
 *
 * @example
 * const { stats } = await createRun({ playbook: "site.yaml", inventory: "hosts.ini" });
 */
export async function createRun(request: RunRequest): Promise<RunOutcome> {
  const started = Date.now();
  const registry: ModuleRegistry = await loadModules(request.modules ?? []);
  const plays = await loadPlaybook(request.playbook, registry, { rolesPath: request.rolesPath });
  const source = hostSource(request.inventory ? loadInventory(request.inventory) : implicitInventory());
  if (request.limit) limitTo(source, request.limit);
  const check = !!request.check;
  checkSshArgs(source, !!request.ssh?.acceptNewHostKeys);
  const connectOptions: ConnectOptions = {
    ssh: { acceptNewHostKeys: false, connectTimeoutMs: 10000, attempts: 3, ...request.ssh },
    ...(request.lockTimeoutMs !== undefined
      ? {
          lock: {
            runId: randomUUID(),
            exclusive: !check,
            timeoutMs: request.lockTimeoutMs,
            holder: `${hostname()} pid ${process.pid} user ${userInfo().username} since ${new Date().toISOString()}: hoist run ${request.playbook}${check ? " --check" : ""}`,
          },
        }
      : {}),
  };
  const open = request.connect ?? ((host: string, vars: Vars) => openConnection(host, vars, connectOptions));
  const opened: Promise<Connection>[] = [];
  const hosts = new Map<string, HostRun>();
  for (const name of source.hosts) {
    let conn: Promise<Connection> | undefined;
    hosts.set(name, {
      name,
      state: new HostState(),
      connect: () => {
        if (!conn) opened.push((conn = open(name, source.vars(name))));
        return conn;
      },
      facts: {},
      includedVars: {},
      notified: new Set(),
      failed: false,
    });
  }
  const stats = new Map<string, HostStats>(source.hosts.map((h) => [h, newStats()]));
  const results: ReportedResult[] = [];
  const identity = identities(plays);
  let currentPlay = "";
  const reporter: Reporter = {
    play(play, playHosts) {
      currentPlay = play.name;
      request.reporter?.play(play, playHosts);
    },
    result(task, host, result, kind) {
      const id = `${identity.get(task) ?? task.name} @ ${host}`;
      results.push({
        play: currentPlay,
        task: task.name,
        where: formatWhere({ file: task.where.file, line: task.where.line }),
        identity: id,
        host,
        kind,
        result,
      });
      request.reporter?.result(task, host, result, kind, id);
    },
  };
  let interrupted = false;
  let ending: NodeJS.Timeout | undefined;
  const onAbort = () => {
    interrupted = true;
    for (const h of hosts.values()) h.failed = true;
    // Commands still running after the grace are ended with their connections (a write lands whole or
    // not at all), so an interrupted run ends within seconds even when a host never answers.
    ending = setTimeout(() => {
      for (const c of opened) c.then((conn) => conn.close()).catch(() => {});
    }, INTERRUPT_GRACE_MS);
  };
  request.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await runPlays(
      {
        options: {
          check,
          diff: !!request.diff,
          verbosity: request.verbosity ?? 0,
          forks: request.forks ?? 50,
          tags: request.tags ?? [],
          skipTags: request.skipTags ?? [],
          extraVars: request.extraVars ?? {},
          becomePassword: request.becomePassword,
          factCache: request.factCache,
        },
        registry,
        inventory: source,
        hosts,
        stats,
        reporter,
        secrets: new Set(),
      },
      plays,
    );
  } finally {
    clearTimeout(ending);
    request.signal?.removeEventListener("abort", onAbort);
    await Promise.allSettled(opened.map(async (c) => (await c).close()));
  }
  const used = new Map([...stats].filter(([h, s]) => Object.values(s).some((n) => n > 0) || hosts.get(h)!.failed));
  return {
    results,
    stats: used,
    hosts,
    durationMs: Date.now() - started,
    interrupted,
    byTask(name, host) {
      const r = results.find((x) => x.task === name && (host === undefined || x.host === host));
      if (!r) throw new Error(`no result for task '${name}'${host ? ` on ${host}` : ""}; have: ${results.map((x) => `${x.task}@${x.host}`).join(", ")}`);
      return r.result;
    },
  };
}
