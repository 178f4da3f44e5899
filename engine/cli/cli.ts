/**
 * The `hoist` command line, a thin client of the run API (`engine/run/run.ts`):
 * options become a request, the outcome an exit code. See README "CLI" for
 * the contract; exit codes: 0 success, 1 a task failed or a host was
 * unreachable, 2 changes with --detailed-exitcode, 4 bad input, 130 interrupted.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { load as loadYamlValue } from "js-yaml";
import { loadYamlFile } from "../load/yaml.ts";
import { InputError, errorMessage } from "../errors.ts";
import { loadModules } from "../load/registry.ts";
import { createRun } from "../run/run.ts";
import { loadSettings } from "../load/settings.ts";
import { JsonReporter, TextReporter, loadPatchMaker } from "../report/report.ts";

const USAGE = `usage:
  hoist run PLAYBOOK [-i INVENTORY] [--check] [--diff] [--limit PATTERN] [--tags T] [--skip-tags T]
                     [-e key=value | -e @file.yaml] [--forks N] [--json] [--detailed-exitcode] [-v]
                     [--modules DIR] [--accept-new-host-keys] [--ask-become-pass] [--timeout SECONDS]
                     [--lock-timeout SECONDS]
  hoist modules [NAME]
  hoist lab up [N] [--name NAME] [--packages P,Q] | hoist lab down [--name NAME] | hoist lab status [--name NAME]
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
  const splitList = (l?: string[]) =>
    (l ?? [])
      .flatMap((t) => t.split(","))
      .map((t) => t.trim())
      .filter(Boolean);
  const inventories = values.inventory ?? [];
  if (inventories.length > 1) throw new InputError("give one -i (a directory may hold several inventory files)");
  const extraVars = parseExtraVars(values["extra-vars"] ?? []);
  const timeout = Number(values.timeout ?? 10);
  if (!Number.isFinite(timeout) || timeout <= 0) throw new InputError(`--timeout must be a positive number of seconds, got '${values.timeout}'`);
  const lockTimeout = Number(values["lock-timeout"] ?? 60);
  if (!Number.isFinite(lockTimeout) || lockTimeout < 0) throw new InputError(`--lock-timeout must be a number of seconds, got '${values["lock-timeout"]}'`);
  const settings = await loadSettings();
  const becomePassword = values["ask-become-pass"] ? await (await import("./secret.ts")).readSecret("BECOME password: ") : undefined;

  const json = !!values.json;
  const reporter = json
    ? new JsonReporter()
    : new TextReporter({
        diff: !!values.diff,
        createPatch: values.diff ? await loadPatchMaker() : undefined,
        verbose: (values.verbose?.length ?? 0) > 0,
        color: !!process.stdout.isTTY && !process.env.NO_COLOR,
        write: (t) => process.stdout.write(t),
      });
  const interrupt = new AbortController();
  const onSignal = () => {
    // In-flight steps finish their atomic write; nothing new starts.
    interrupt.abort();
    process.stderr.write("\ninterrupted: letting running tasks finish, starting nothing new\n");
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let outcome: Awaited<ReturnType<typeof createRun>>;
  try {
    outcome = await createRun({
      playbook: playbookFile,
      inventory: inventories[0],
      check: !!values.check,
      diff: !!values.diff,
      limit: values.limit,
      tags: splitList(values.tags),
      skipTags: splitList(values["skip-tags"]),
      extraVars,
      forks,
      modules: values.modules,
      becomePassword,
      rolesPath: settings.rolesPath,
      factCache: settings.factCache,
      ssh: { acceptNewHostKeys: !!values["accept-new-host-keys"], connectTimeoutMs: timeout * 1000, attempts: 3 },
      lockTimeoutMs: lockTimeout * 1000,
      reporter,
      signal: interrupt.signal,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  if (reporter instanceof JsonReporter) {
    process.stdout.write(
      reporter.document({ playbook: resolve(playbookFile), check: !!values.check, diff: !!values.diff, durationMs: outcome.durationMs }, outcome.stats) + "\n",
    );
  } else {
    reporter.recap(outcome.stats);
  }
  const all = [...outcome.stats.values()];
  if (outcome.interrupted) return 130;
  if (all.some((s) => s.failed > 0 || s.unreachable > 0)) return 1;
  if (values["detailed-exitcode"] && all.some((s) => s.changed > 0)) return 2;
  return 0;
}

async function modulesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { modules: { type: "string", multiple: true }, json: { type: "boolean" } },
  });
  const registry = await loadModules(values.modules ?? []);
  // Documentation is only for `hoist modules`: not loaded by runs.
  const { moduleDoc, moduleList } = await import("./docs.ts");
  if (positionals.length === 0) process.stdout.write(moduleList(await registry.loadAll()));
  else {
    await registry.load([positionals[0]]);
    process.stdout.write(moduleDoc(registry.require(positionals[0]), !!values.json));
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  // A reader that goes away (`hoist run … | head`) ends the output, not with a stack trace.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(process.exitCode ?? 0);
  });
  const [command, ...rest] = argv;
  try {
    if (command === "run") return await run(rest);
    if (command === "modules") return await modulesCommand(rest);
    if (command === "lab") {
      const { labCommand } = await import("../../lab/lab.ts");
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
