/**
 * The `hoist` command line, a thin client of the run API (`engine/run/run.ts`):
 * options become a request, the outcome an exit code. See README "CLI" for
 * the contract; exit codes: 0 success, 1 a task failed or a host was
 * unreachable, 2 changes with --detailed-exitcode, 4 bad input, 130 interrupted.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { InputError, errorMessage } from "../errors.ts";
import { loadModules } from "../load/registry.ts";
import { RUN_OPTIONS, requestFrom, runInterruptible } from "./run-options.ts";
import { JsonReporter, TextReporter, loadPatchMaker } from "../report/report.ts";

const USAGE = `usage:
  hoist run PLAYBOOK [-i INVENTORY] [--check] [--diff] [--limit PATTERN] [--tags T] [--skip-tags T]
                     [-e key=value | -e @file.yaml] [--forks N] [--json] [--detailed-exitcode] [-v]
                     [--modules DIR] [--accept-new-host-keys] [--ask-become-pass] [--timeout SECONDS]
                     [--lock-timeout SECONDS]
  hoist drift PLAYBOOK [-i INVENTORY] [run options] [--json | --markdown] [--ignore FILE]
                       [--alert-after N] [--state-dir DIR] [--keep N] [--history]
                       [--report github:OWNER/REPO [--github-token-file FILE] [--github-url URL]]
                       [--install-timer SCHEDULE | --uninstall-timer]
  hoist modules [NAME]
  hoist lab up [N] [--name NAME] [--packages P,Q] [--kubernetes] [--containers] [--snaps] [--microk8s] | hoist lab down [--name NAME] | hoist lab status [--name NAME]
  hoist lab inventory microk8s-ha [--name NAME]
  hoist --version`;

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...RUN_OPTIONS,
      check: { type: "boolean", short: "C" },
      diff: { type: "boolean", short: "D" },
      "detailed-exitcode": { type: "boolean" },
    },
  });
  if (positionals.length !== 1) throw new InputError(`hoist run takes one playbook\n${USAGE}`);
  const playbookFile = positionals[0];
  const request = await requestFrom(values, playbookFile);
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
  const outcome = await runInterruptible({ ...request, check: !!values.check, diff: !!values.diff, verbosity: values.verbose?.length ?? 0, reporter });
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

/**
 * The `hoist` command line: parses `argv`, runs the subcommand and returns the exit code (see the top of this
 * file: 0 success, 1 a task failed, 4 bad input, …). A thin client of `createRun`.
 */
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
    if (command === "drift") return await (await import("./drift.ts")).driftCommand(rest);
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
