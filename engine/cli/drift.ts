/**
 * `hoist drift PLAYBOOK -i INVENTORY`: a check run whose output is a drift
 * report (engine/drift/), for cron. Exit 0 no drift, 2 drift, 1 error
 * (unreachable hosts, failed plans, a report that could not be sent while
 * nothing drifted), 4 bad input, 130 interrupted. Everything the command is
 * told is checked before any host is touched.
 */
import { parseArgs } from "node:util";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { InputError, errorMessage } from "../errors.ts";
import { RUN_OPTIONS, requestFrom, runInterruptible } from "./run-options.ts";
import { buildReport, exitCodeOf, fingerprintOf, type DriftReport } from "../drift/report.ts";
import { applyIgnore, loadIgnoreRules, type IgnoreRule } from "../drift/ignore.ts";
import { debounce, defaultStateDir, driftSpans, historyDir, readHistory, saveReport } from "../drift/history.ts";
import { withStateLock } from "../drift/state-lock.ts";
import { privateDir, writePrivateFile } from "../host/private-file.ts";
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
  // Digits only: Number() would take 0x10, 1e20 and " 3".
  if (text !== undefined && !/^[1-9][0-9]{0,5}$/.test(text)) throw new InputError(`--${name} must be a whole number from 1 to 999999, got '${text}'`);
  return text === undefined ? fallback : Number(text);
};

/** Loopback, where plain HTTP never leaves the machine (a test's issue server). */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** --github-url: https (http only on loopback, where a token cannot be overheard), without credentials in it. */
function githubUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError("--github-url: expected an http(s) URL");
  }
  // Credentials in a URL end up in errors, logs and timers: the token file is where they go.
  if (url.username || url.password) throw new InputError("--github-url: no credentials in the URL (give the token with --github-token-file)");
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.test(url.hostname)))
    throw new InputError(`--github-url: ${url.protocol}// would send the token in clear text: use https`);
  return text;
}

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
    // As ssh does with keys: a token others can read is a token others have.
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) throw new InputError(`--github-token-file: readable by others (mode ${mode.toString(8).padStart(4, "0")}): chmod 600 it`, { file });
    return token;
  }
  const token = process.env.GITHUB_TOKEN?.trim();
  if (!token) throw new InputError("--report github:… needs a token: GITHUB_TOKEN or --github-token-file");
  return token;
}

/** The token leaves the environment once read: no command hoist runs (a local host's facts, `ansible_env`) inherits it. */
function forgetTokenEnv(): void {
  delete process.env.GITHUB_TOKEN;
}

/** How long a drift run waits for another one on the same playbook + inventory to finish its report. */
const STATE_LOCK_WAIT_MS = 300_000;

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
    if (t.name === "extra-vars") continue; // in a private file instead (see driftCommand)
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
  const history = historyDir(stateDir, fingerprint);

  if (values["install-timer"] !== undefined && values["uninstall-timer"]) throw new InputError("give one of --install-timer and --uninstall-timer");
  if (keep < alertAfter)
    throw new InputError(`--keep ${keep} is fewer than --alert-after ${alertAfter}: the history could never hold ${alertAfter} runs in a row`);
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
        return { ...target, baseUrl: values["github-url"] === undefined ? undefined : githubUrl(values["github-url"]) };
      })()
    : undefined;
  if (values["github-url"] !== undefined && !github) throw new InputError("--github-url goes with --report github:OWNER/REPO");
  // The history's directory is checked before any host is touched: a run whose report cannot be kept is refused.
  try {
    privateDir(history);
  } catch (e) {
    throw new InputError(`--state-dir: ${errorMessage(e)}`);
  }

  if (values["install-timer"] !== undefined) {
    const { parseSchedule } = await import("../drift/schedule.ts");
    const { installTimer, describeTimer } = await import("../drift/timer.ts");
    const schedule = parseSchedule(values["install-timer"]);
    // The token stays in its file; a unit or cron line would keep it readable for good.
    if (github && !values["github-token-file"])
      throw new InputError("--install-timer with --report needs --github-token-file (a token is never written into a timer)");
    const request = await requestFrom(values, playbook); // the options are checked now, not at the first firing
    // -e values may be secrets: they go to a private file the timer names, never into its unit or cron line.
    const varsFile = join(history, "timer-extra-vars.json");
    const extra = Object.keys(request.extraVars ?? {}).length > 0;
    if (extra) writePrivateFile(varsFile, JSON.stringify(request.extraVars));
    const args = [...timerArgs(tokens), ...(extra ? [`--extra-vars=@${varsFile}`] : [])];
    const files = installTimer({ name: timerName, schedule, args, cwd: process.cwd(), env: { HOIST_STATE_DIR: stateDir } });
    process.stdout.write(`installed ${timerName} (${schedule.onCalendar}):\n${describeTimer(files)}`);
    return 0;
  }
  const token = github ? githubToken(values["github-token-file"]) : undefined;
  forgetTokenEnv();

  const startedAt = new Date();
  const request = await requestFrom(values, positionals[0]);
  const outcome = await runInterruptible({ ...request, check: true });
  if (outcome.interrupted) return 130;
  // From reading the history to the GitHub report, one run at a time: overlapping runs would open two issues.
  return withStateLock(history, STATE_LOCK_WAIT_MS, async () => {
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
  });
}
