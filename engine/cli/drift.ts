/**
 * `hoist drift PLAYBOOK -i INVENTORY`: a check run whose output is a drift
 * report (engine/drift/), for cron. Exit 0 no drift, 2 drift, 1 error
 * (unreachable hosts, failed plans, a report that could not be sent while
 * nothing drifted), 4 bad input, 130 interrupted. Everything the command is
 * told is checked before any host is touched.
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { InputError, errorMessage } from "../errors.ts";
import { RUN_OPTIONS, requestFrom, runInterruptible } from "./run-options.ts";
import { buildReport, exitCodeOf, fingerprintOf, type DriftReport } from "../drift/report.ts";
import { applyIgnore, loadIgnoreRules, type IgnoreRule } from "../drift/ignore.ts";
import { debounce, defaultStateDir, driftSpans, readHistory, saveReport } from "../drift/history.ts";
import { formatMarkdown, formatSpans, formatText } from "../drift/format.ts";

const DRIFT_OPTIONS = {
  ...RUN_OPTIONS,
  markdown: { type: "boolean" },
  ignore: { type: "string", multiple: true },
  "alert-after": { type: "string" },
  "state-dir": { type: "string" },
  keep: { type: "string" },
  history: { type: "boolean" },
  report: { type: "string" },
  "github-token-file": { type: "string" },
  "github-url": { type: "string" },
  "install-timer": { type: "string" },
  "uninstall-timer": { type: "boolean" },
} as const;

const count = (text: string | undefined, name: string, fallback: number) => {
  const n = Number(text ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--${name} must be a whole number of at least 1, got '${text}'`);
  return n;
};

/** The GitHub token: from --github-token-file, else GITHUB_TOKEN; never from the command line (it would show in `ps`). */
function githubToken(file: string | undefined): string {
  if (file) {
    let token: string;
    try {
      token = readFileSync(file, "utf8").trim();
    } catch (e) {
      throw new InputError(`--github-token-file: cannot read: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`, { file });
    }
    if (!token || /\s/.test(token)) throw new InputError("--github-token-file: expected one token on one line", { file });
    return token;
  }
  const token = process.env.GITHUB_TOKEN?.trim();
  if (!token) throw new InputError("--report github:… needs a token: GITHUB_TOKEN or --github-token-file");
  return token;
}

type Token = ReturnType<typeof parseArgs<{ options: typeof DRIFT_OPTIONS; tokens: true; allowPositionals: true }>>["tokens"][number];

/** Options naming files: a timer runs them from its own directory, so they are made absolute. */
const PATH_OPTIONS = new Set(["inventory", "ignore", "state-dir", "github-token-file", "modules"]);

/** The arguments a timer repeats: this command's, without the timer options, with paths made absolute. */
function timerArgs(tokens: Token[]): string[] {
  const out = ["drift"];
  for (const t of tokens) {
    if (t.kind === "positional") out.push(resolve(t.value));
    if (t.kind !== "option" || t.name === "install-timer" || t.name === "uninstall-timer") continue;
    if (t.name === "ask-become-pass") throw new InputError("--install-timer: a timer cannot answer a password prompt (--ask-become-pass)");
    if (t.value === undefined) out.push(`--${t.name}`);
    else out.push(`--${t.name}=${PATH_OPTIONS.has(t.name) ? resolve(t.value) : t.value}`);
  }
  return out;
}

/**
 * Run `hoist drift` with its arguments; returns the exit code.
 *
 * @example
 * process.exitCode = await driftCommand(["site.yaml", "-i", "inventories/prod", "--report", "github:acme/infra"]);
 */
export async function driftCommand(argv: string[]): Promise<number> {
  const { values, positionals, tokens } = parseArgs({ args: argv, allowPositionals: true, options: DRIFT_OPTIONS, tokens: true });
  if (positionals.length !== 1) throw new InputError("hoist drift takes one playbook (see hoist --help)");
  if (values.json && values.markdown) throw new InputError("give one of --json and --markdown");
  const playbook = resolve(positionals[0]);
  const inventory = values.inventory?.[0] !== undefined ? resolve(values.inventory[0]) : null;
  const fingerprint = fingerprintOf(playbook, inventory);
  const stateDir = resolve(values["state-dir"] ?? defaultStateDir());
  const alertAfter = count(values["alert-after"], "alert-after", 1);
  const keep = count(values.keep, "keep", 200);
  const timerName = `hoist-drift-${fingerprint}`;

  if (values.history) {
    const spans = driftSpans(readHistory(stateDir, fingerprint));
    process.stdout.write(values.json ? JSON.stringify({ version: 1, fingerprint, spans }, null, 2) + "\n" : formatSpans(spans));
    return 0;
  }
  if (values["uninstall-timer"]) {
    const { uninstallTimer } = await import("../drift/timer.ts");
    const removed = uninstallTimer(timerName);
    process.stdout.write(removed.length ? `removed ${removed.join(", ")}\n` : `no timer ${timerName} installed\n`);
    return 0;
  }
  const rules: IgnoreRule[] = (values.ignore ?? []).flatMap((f) => loadIgnoreRules(f));
  const github = values.report
    ? await (async () => {
        const { parseGitHubTarget } = await import("../drift/github.ts");
        const target = parseGitHubTarget(values.report!);
        if (values["github-url"] !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(values["github-url"]))
          throw new InputError(`--github-url: expected an http(s) URL, got '${values["github-url"]}'`);
        return { ...target, baseUrl: values["github-url"] };
      })()
    : undefined;
  if (values["github-url"] !== undefined && !github) throw new InputError("--github-url goes with --report github:OWNER/REPO");

  if (values["install-timer"] !== undefined) {
    const { parseSchedule } = await import("../drift/schedule.ts");
    const { installTimer, describeTimer } = await import("../drift/timer.ts");
    const schedule = parseSchedule(values["install-timer"]);
    // The token stays in its file; a unit or cron line would keep it readable for good.
    if (github && !values["github-token-file"])
      throw new InputError("--install-timer with --report needs --github-token-file (a token is never written into a timer)");
    const args = timerArgs(tokens);
    await requestFrom(values, playbook); // the options are checked now, not at the first firing
    const files = installTimer({ name: timerName, schedule, args, cwd: process.cwd(), env: { HOIST_STATE_DIR: stateDir } });
    process.stdout.write(`installed ${timerName} (${schedule.onCalendar}):\n${describeTimer(files)}`);
    return 0;
  }
  const token = github ? githubToken(values["github-token-file"]) : undefined;

  const startedAt = new Date();
  const request = await requestFrom(values, positionals[0]);
  const outcome = await runInterruptible({ ...request, check: true });
  if (outcome.interrupted) return 130;
  let report: DriftReport = buildReport(outcome, { playbook, inventory, startedAt });
  report = applyIgnore(report, rules);
  report = debounce(report, readHistory(stateDir, fingerprint), alertAfter);
  saveReport(stateDir, report, keep);

  process.stdout.write(values.json ? JSON.stringify(report, null, 2) + "\n" : values.markdown ? formatMarkdown(report) : formatText(report));
  let code = exitCodeOf(report);
  if (github && token) {
    const { reportToGitHub } = await import("../drift/github.ts");
    try {
      const done = await reportToGitHub(report, { ...github, token });
      process.stderr.write(`github: ${done.action}${done.number ? ` issue #${done.number}` : ""}${done.url ? ` ${done.url}` : ""}\n`);
    } catch (e) {
      // The report failed; the exit code still tells what the run found, and never says "clean".
      process.stderr.write(`error: github report failed: ${errorMessage(e)}\n`);
      if (code === 0) code = 1;
    }
  }
  return code;
}
