/**
 * `hoist drift … --install-timer SCHEDULE`: runs the same drift command on a
 * schedule on the control machine, as a systemd timer and service (system
 * units as root, user units otherwise) or, where systemd does not run, a
 * line in /etc/cron.d. Runs never overlap (`flock -n` on a lock of the
 * playbook + inventory in a directory only its user can enter; a firing that
 * finds it held exits 75), no run outlives STUCK_AFTER_S (`timeout`), and a
 * firing that finds the lock held longer than that fails loudly: monitoring
 * that stopped is a failure someone sees, never a quiet success. Output goes
 * to the journal (the service's stdout; `logger` under cron), and exit 2
 * (drift) is not a unit failure. `--uninstall-timer` removes it all. The
 * files are private (0600), and secrets are never written into them: a
 * GitHub token is read from its file at each run, `-e` values from a private
 * file in the state directory.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { InputError } from "../errors.ts";
import { writeWholeFile } from "../host/private-file.ts";
import type { Schedule } from "./schedule.ts";

/** What the timer runs and where its files go. */
export interface TimerSpec {
  /** `hoist-drift-<fingerprint>`. */
  name: string;
  schedule: Schedule;
  /** The arguments after `hoist` (`drift site.yaml -i prod …`), without the timer options. */
  args: string[];
  /** The directory the command runs in (relative paths in args resolve from it). */
  cwd: string;
  /** Kept for each run: the state directory, so history survives. */
  env: Record<string, string>;
}

/**
 * Where a drift timer's files go: a systemd unit directory (and how to call systemctl), or a
 * cron.d file when systemd is not running, and its lock directory.
 */
export interface TimerPlaces {
  /** systemd units go here; undefined: no systemd, use cron. */
  unitDir?: string;
  /** `systemctl` or `systemctl --user`. */
  systemctl: string[];
  cronFile?: string;
  lockDir: string;
}

/** Exit code of a run that found another one still running. */
export const LOCKED_EXIT = 75;

/** A drift run older than this is stuck: it is ended, and a firing that finds its lock fails. */
export const STUCK_AFTER_S = 3600;

/**
 * What each firing runs (with `sh -c`, arguments: the lock, the limit, the
 * command): the lock taken on fd 9 and its time of taking kept as the lock
 * file's mtime; the command under `timeout`; a lock held past the limit is
 * an error, one held less is "still going" (exit 75).
 */
const FIRING = [
  "l=$1 limit=$2; shift 2",
  'mkdir -p -m 0700 -- "$(dirname -- "$l")" || exit 1',
  'exec 9>>"$l" || exit 1',
  'if flock -n 9; then touch -- "$l"; exec timeout -k 30 "$limit" "$@"; fi',
  'if [ -n "$(find "$l" -mmin +$((limit / 60)))" ]; then echo "hoist drift: the run holding $l started over $limit s ago and is still going: it is stuck" >&2; exit 1; fi',
  `echo "hoist drift: the previous run is still going" >&2; exit ${LOCKED_EXIT}`,
  // One line: a unit's or cron's line ends at a line break.
].join("; ");

/**
 * Where this machine keeps timers: systemd when it runs (system or user units), else cron.
 *
 * @example
 * timerPlaces() // { unitDir: "/etc/systemd/system", systemctl: ["systemctl"], lockDir: "/run/lock" }
 */
export function timerPlaces(): TimerPlaces {
  const root = process.getuid?.() === 0;
  if (existsSync("/run/systemd/system"))
    return root
      ? { unitDir: "/etc/systemd/system", systemctl: ["systemctl"], lockDir: "/run/hoist" }
      : {
          unitDir: join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), "systemd", "user"),
          systemctl: ["systemctl", "--user"],
          lockDir: join(process.env.XDG_RUNTIME_DIR || join(homedir(), ".cache"), "hoist"),
        };
  if (!root) throw new InputError("--install-timer: no systemd here, and a cron entry in /etc/cron.d needs root");
  return { systemctl: [], cronFile: "/etc/cron.d", lockDir: "/run/hoist" };
}

/** The hoist command this process runs as: Node and bin/hoist.js of this installation. */
export function hoistCommand(): string[] {
  return [process.execPath, join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bin", "hoist.js")];
}

/** A word for a systemd Exec line: quoted, with `%` and `$` kept literal. */
const systemdWord = (w: string) => `"${w.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;
/** An Environment= assignment: quoted, `%` kept literal (`$` is not expanded there). */
const envWord = (w: string) => `"${w.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%")}"`;
/** A word for a cron line: shell-quoted, and `%` (a newline to cron) escaped. */
const shellWord = (w: string) => `'${w.replace(/'/g, "'\\''")}'`.replace(/%/g, "\\%");

function safe(text: string, what: string): string {
  // A line break would end the unit's or cron's line: whatever followed would be configuration.
  if (/[\n\r\0]/.test(text)) throw new InputError(`--install-timer: ${what} cannot hold a line break`);
  return text;
}

/**
 * The files a timer consists of, by path.
 *
 * @example
 * timerFiles(spec, timerPlaces()) // { "/etc/systemd/system/hoist-drift-….service": "[Unit]…", "….timer": "[Timer]…" }
 */
export function timerFiles(spec: TimerSpec, places: TimerPlaces): Record<string, string> {
  const lock = join(places.lockDir, `${spec.name}.lock`);
  const argv = ["/bin/sh", "-c", FIRING, "hoist-drift", lock, String(STUCK_AFTER_S), ...hoistCommand(), ...spec.args].map((a) => safe(a, "an argument"));
  safe(spec.cwd, "the working directory");
  for (const [k, v] of Object.entries(spec.env)) safe(`${k}=${v}`, "the environment");
  if (places.unitDir) {
    const service = [
      "[Unit]",
      `Description=hoist drift check (${spec.name})`,
      "Wants=network-online.target",
      "After=network-online.target",
      "",
      "[Service]",
      "Type=oneshot",
      // A path as it is: systemd would expand `%` specifiers in it.
      `WorkingDirectory=${spec.cwd.replace(/%/g, "%%")}`,
      ...Object.entries(spec.env).map(([k, v]) => `Environment=${envWord(`${k}=${v}`)}`),
      `ExecStart=${argv.map(systemdWord).join(" ")}`,
      // 2 is drift, 75 a run still going: reported, not unit failures.
      `SuccessExitStatus=2 ${LOCKED_EXIT}`,
      "",
    ].join("\n");
    const timer = [
      "[Unit]",
      `Description=hoist drift check on a schedule (${spec.name})`,
      "",
      "[Timer]",
      `OnCalendar=${safe(spec.schedule.onCalendar, "the schedule")}`,
      "Persistent=true",
      // Fire when due, not up to a minute later (systemd's default batching).
      "AccuracySec=1s",
      "",
      "[Install]",
      "WantedBy=timers.target",
      "",
    ].join("\n");
    return { [join(places.unitDir, `${spec.name}.service`)]: service, [join(places.unitDir, `${spec.name}.timer`)]: timer };
  }
  if (!spec.schedule.cron) throw new InputError("--install-timer: without systemd the schedule must be a cron expression (five fields)");
  const env = Object.entries(spec.env).map(([k, v]) => `${k}=${shellWord(v)}`);
  const line = `${spec.schedule.cron} root cd ${shellWord(spec.cwd)} && ${[...env, ...argv.map(shellWord)].join(" ")} 2>&1 | logger -t ${spec.name}`;
  return { [join(places.cronFile!, spec.name)]: `# written by hoist drift --install-timer; removed by --uninstall-timer\n${line}\n` };
}

function systemctl(places: TimerPlaces, ...args: string[]): void {
  const r = spawnSync(places.systemctl[0], [...places.systemctl.slice(1), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${[...places.systemctl, ...args].join(" ")}: ${(r.stderr || r.stdout || `exit ${r.status}`).trim()}`);
}

/**
 * Install (or replace) the timer and start it; returns the files written.
 *
 * @example
 * installTimer(spec) // ["/etc/systemd/system/hoist-drift-….service", "….timer"]
 */
export function installTimer(spec: TimerSpec, places = timerPlaces()): string[] {
  const files = timerFiles(spec, places);
  if (places.unitDir) {
    // systemd checks the calendar expression itself; refusing here leaves nothing half-installed.
    const check = spawnSync("systemd-analyze", ["calendar", spec.schedule.onCalendar], { encoding: "utf8" });
    if (check.status !== 0 && !check.error)
      throw new InputError(`--install-timer: systemd does not read '${spec.schedule.onCalendar}': ${check.stderr.trim()}`);
    if (/Next elapse: never/i.test(check.stdout ?? "")) throw new InputError(`--install-timer: '${spec.schedule.onCalendar}' never fires`);
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(path), { recursive: true });
    writeWholeFile(path, text);
  }
  if (places.unitDir) {
    systemctl(places, "daemon-reload");
    systemctl(places, "enable", "--now", `${spec.name}.timer`);
  }
  return Object.keys(files);
}

/**
 * Stop and remove the timer; returns the files removed (none when there was no timer).
 *
 * @example
 * uninstallTimer("hoist-drift-3f1c…")
 */
export function uninstallTimer(name: string, places = timerPlaces()): string[] {
  const paths = places.unitDir ? [join(places.unitDir, `${name}.timer`), join(places.unitDir, `${name}.service`)] : [join(places.cronFile!, name)];
  const present = paths.filter((p) => existsSync(p));
  if (places.unitDir && present.length) systemctl(places, "disable", "--now", `${name}.timer`);
  for (const p of present) rmSync(p);
  if (places.unitDir && present.length) systemctl(places, "daemon-reload");
  return present;
}

/** The installed timer's files, to show (`hoist drift … --install-timer` prints them). */
export const describeTimer = (paths: string[]) => paths.map((p) => `${p}:\n${readFileSync(p, "utf8").replace(/^/gm, "  ")}`).join("\n");
