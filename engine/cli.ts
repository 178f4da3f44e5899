/**
 * The `hoist` command line. See README "CLI" for the contract; exit codes:
 * 0 success, 1 a task failed or a host was unreachable, 2 changes with
 * --detailed-exitcode, 4 bad input.
 */
import { parseArgs } from "node:util";
import { randomUUID } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { resolve } from "node:path";
import { load as loadYamlValue } from "js-yaml";
import { loadYamlFile } from "./yaml.ts";
import { InputError, errorMessage } from "./errors.ts";
import { loadModules } from "./registry.ts";
import { loadPlaybook } from "./playbook.ts";
import { implicitInventory, loadInventory, hostVariables, groupsMap, groupsOf, type Inventory } from "./inventory.ts";
import { runPlays, newStats, type RunContext, type HostStats } from "./scheduler.ts";
import { HostState } from "./probe.ts";
import { openConnection } from "./connection/index.ts";
import type { Connection } from "./connection/types.ts";
import type { HostRun } from "./runner.ts";
import { JsonReporter, TextReporter } from "./report.ts";
import { moduleDoc, moduleList } from "./docs.ts";
import { readSecret } from "./secret.ts";

const USAGE = `usage:
  hoist run PLAYBOOK [-i INVENTORY] [--check] [--diff] [--limit PATTERN] [--tags T] [--skip-tags T]
                     [-e key=value | -e @file.yaml] [--forks N] [--json] [--detailed-exitcode] [-v]
                     [--modules DIR] [--accept-new-host-keys] [--ask-become-pass] [--timeout SECONDS]
                     [--lock-timeout SECONDS]
  hoist modules [NAME]
  hoist lab up [N] [--name NAME] | hoist lab down [--name NAME] | hoist lab status [--name NAME]
  hoist --version`;

export type Vars = Record<string, unknown>;

function parseExtraVars(values: string[]): Vars {
  const out: Vars = {};
  for (const v of values) {
    if (v.startsWith("@")) {
      const doc = loadYamlFile(v.slice(1));
      if (!isMapping(doc.value)) throw new InputError("extra vars file must hold a mapping", doc.at([]));
      Object.assign(out, doc.value);
    } else if (v.trim().startsWith("{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch (e) {
        throw new InputError(`-e: invalid JSON: ${errorMessage(e)} in '${v}'`);
      }
      if (!isMapping(parsed)) throw new InputError(`-e: JSON extra vars must be an object, got '${v}'`);
      Object.assign(out, parsed);
    } else {
      for (const pair of v.split(/\s+(?=[\w.]+=)/)) {
        const eq = pair.indexOf("=");
        if (eq < 1) throw new InputError(`-e expects key=value, @file or JSON, got '${pair}'`);
        try {
          out[pair.slice(0, eq)] = loadYamlValue(pair.slice(eq + 1), { maxAliases: 0 }) ?? "";
        } catch (e) {
          throw new InputError(`-e: invalid value for '${pair.slice(0, eq)}': ${errorMessage(e).split("\n")[0]}`);
        }
      }
    }
  }
  return out;
}

const isMapping = (v: unknown): v is Vars => !!v && typeof v === "object" && !Array.isArray(v);

function hostSource(inv: Inventory) {
  const groups = groupsMap(inv);
  const cache = new Map<string, Vars>();
  return {
    hosts: inv.hosts,
    groups,
    vars: (h: string) => cache.get(h) ?? cache.set(h, hostVariables(inv, h)).get(h)!,
    groupNames: (h: string) => groupsOf(inv, h).filter((g) => g !== "all" && g !== "ungrouped"),
  };
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      inventory: { type: "string", short: "i", multiple: true },
      check: { type: "boolean", short: "C" },
      diff: { type: "boolean", short: "D" },
      limit: { type: "string", short: "l" },
      tags: { type: "string", short: "t", multiple: true },
      "skip-tags": { type: "string", multiple: true },
      "extra-vars": { type: "string", short: "e", multiple: true },
      forks: { type: "string", short: "f" },
      json: { type: "boolean" },
      "detailed-exitcode": { type: "boolean" },
      verbose: { type: "boolean", short: "v", multiple: true },
      modules: { type: "string", multiple: true },
      "accept-new-host-keys": { type: "boolean" },
      "ask-become-pass": { type: "boolean", short: "K" },
      timeout: { type: "string", short: "T" },
      "lock-timeout": { type: "string" },
    },
  });
  if (positionals.length !== 1) throw new InputError(`hoist run takes one playbook\n${USAGE}`);
  const playbookFile = positionals[0];
  const forks = Number(values.forks ?? 50);
  if (!Number.isInteger(forks) || forks < 1) throw new InputError(`--forks must be a positive integer, got '${values.forks}'`);
  const splitList = (l?: string[]) => (l ?? []).flatMap((t) => t.split(",")).map((t) => t.trim()).filter(Boolean);

  const registry = await loadModules(values.modules ?? []);
  const plays = loadPlaybook(playbookFile, registry);
  const inventories = values.inventory ?? [];
  let inventory = inventories.length ? loadInventory(inventories[0]) : implicitInventory();
  if (inventories.length > 1) throw new InputError("give one -i (a directory may hold several inventory files)");
  const source = hostSource(inventory);
  if (values.limit) {
    const { matchHosts } = await import("./patterns.ts");
    let allowed: Set<string>;
    try {
      allowed = new Set(matchHosts(values.limit, source.groups, source.hosts));
    } catch (e) {
      throw e instanceof InputError ? new InputError(`--limit: ${e.message}`) : e;
    }
    source.hosts.splice(0, source.hosts.length, ...source.hosts.filter((h) => allowed.has(h)));
    for (const g of Object.keys(source.groups)) source.groups[g] = source.groups[g].filter((h) => allowed.has(h));
  }
  const extraVars = parseExtraVars(values["extra-vars"] ?? []);
  const timeout = Number(values.timeout ?? 10);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new InputError(`--timeout must be a positive number of seconds, got '${values.timeout}'`);
  const lockTimeout = Number(values["lock-timeout"] ?? 60);
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0) throw new InputError(`--lock-timeout must be a number of seconds, got '${values["lock-timeout"]}'`);
  const becomePassword = values["ask-become-pass"] ? await readSecret("BECOME password: ") : undefined;

  const connections: Connection[] = [];
  const hosts = new Map<string, HostRun>();
  const connectOptions = {
    ssh: {
      acceptNewHostKeys: !!values["accept-new-host-keys"],
      connectTimeoutMs: timeout * 1000,
      attempts: 3,
    },
    lock: {
      runId: randomUUID(),
      exclusive: !values.check,
      timeoutMs: lockTimeout * 1000,
      holder: `${hostname()} pid ${process.pid} user ${userInfo().username} since ${new Date().toISOString()}: hoist run ${playbookFile}${values.check ? " --check" : ""}`,
    },
  };
  for (const name of source.hosts) {
    let conn: Promise<Connection> | undefined;
    hosts.set(name, {
      name,
      state: new HostState(),
      connect: () =>
        (conn ??= openConnection(name, source.vars(name), connectOptions).then((c) => {
          connections.push(c);
          return c;
        })),
      facts: {},
      notified: new Set(),
      failed: false,
      unreachable: false,
    });
  }
  const stats = new Map<string, HostStats>(source.hosts.map((h) => [h, newStats()]));
  const json = !!values.json;
  const reporter = json
    ? new JsonReporter()
    : new TextReporter({ diff: !!values.diff, verbose: (values.verbose?.length ?? 0) > 0, color: !!process.stdout.isTTY && !process.env.NO_COLOR, write: (t) => process.stdout.write(t) });
  const ctx: RunContext = {
    options: { check: !!values.check, diff: !!values.diff, forks, tags: splitList(values.tags), skipTags: splitList(values["skip-tags"]), extraVars, becomePassword },
    registry,
    inventory: source,
    hosts,
    stats,
    reporter,
  };
  const started = Date.now();
  let interrupted = false;
  const onSignal = () => {
    // In-flight steps finish their atomic write; nothing new starts.
    interrupted = true;
    for (const h of hosts.values()) h.failed = true;
    process.stderr.write("\ninterrupted: letting running tasks finish, starting nothing new\n");
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await runPlays(ctx, plays);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await Promise.allSettled(connections.map((c) => c.close()));
  }
  const used = new Map([...stats].filter(([h, s]) => Object.values(s).some((n) => n > 0) || hosts.get(h)!.failed));
  if (reporter instanceof JsonReporter) {
    process.stdout.write(reporter.document({ playbook: resolve(playbookFile), check: !!values.check, diff: !!values.diff, durationMs: Date.now() - started }, used) + "\n");
  } else {
    reporter.recap(used);
  }
  const all = [...used.values()];
  if (interrupted) return 130;
  if (all.some((s) => s.failed > 0 || s.unreachable > 0)) return 1;
  if (values["detailed-exitcode"] && all.some((s) => s.changed > 0)) return 2;
  return 0;
}

async function modulesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { modules: { type: "string", multiple: true }, json: { type: "boolean" } } });
  const registry = await loadModules(values.modules ?? []);
  if (positionals.length === 0) process.stdout.write(moduleList(registry));
  else process.stdout.write(moduleDoc(registry.require(positionals[0]), !!values.json));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "run") return await run(rest);
    if (command === "modules") return await modulesCommand(rest);
    if (command === "lab") {
      const { labCommand } = await import("../lab/lab.ts");
      return await labCommand(rest);
    }
    if (command === "--help" || command === "-h" || command === "help" || command === undefined) {
      process.stdout.write(USAGE + "\n");
      return command === undefined ? 4 : 0;
    }
    throw new InputError(`unknown command '${command}'\n${USAGE}`);
  } catch (e) {
    if (e instanceof InputError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`error: ${errorMessage(e)}\n`);
      return 4;
    }
    // An internal error: its message, and the stack only when asked for (HOIST_DEBUG=1).
    process.stderr.write(`error: ${e instanceof Error ? (process.env.HOIST_DEBUG ? (e.stack ?? e.message) : e.message) : String(e)}\n`);
    return 1;
  }
}
