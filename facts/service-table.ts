/**
 * ServiceTable: every service the host's init knows, as Ansible's
 * service_facts reports them — SysV scripts from `service --status-all`
 * (source `sysv`), then systemd's units and unit files (source `systemd`,
 * with the unit's state and its unit-file status). Read in one command:
 * the three listings, and the ActiveState of each unit file systemd has
 * not loaded.
 */
import { defineFact } from "../engine/fact.ts";

/** One service, with Ansible's keys (`status` for systemd's only). */
export interface Service {
  name: string;
  state: string;
  status?: string;
  source: "sysv" | "systemd";
}

/** The marker between the listings the command prints. */
const CUT = "--hoist-service-table--";

/**
 * What service_facts runs, as one script: `service --status-all` only where there is no chkconfig
 * or rc-status (as Ansible decides), then the units, the unit files, and `systemctl show` of the
 * unit files not among the units.
 */
const SCRIPT = [
  // Parsed as Ansible parses it: in the C locale.
  `export LC_ALL=C`,
  `if command -v service >/dev/null && ! command -v chkconfig >/dev/null && ! command -v rc-status >/dev/null; then service --status-all 2>/dev/null; fi`,
  `echo ${CUT}`,
  `command -v systemctl >/dev/null && [ -d /run/systemd/system ] || exit 0`,
  `systemctl list-units --no-pager --type service --all --plain`,
  `echo ${CUT}`,
  `systemctl list-unit-files --no-pager --type service --all`,
  `echo ${CUT}`,
  `loaded=$(systemctl list-units --no-pager --type service --all --plain --no-legend | awk '{ print $1 }')`,
  `for u in $(systemctl list-unit-files --no-pager --type service --all --no-legend | awk '{ print $1 }'); do`,
  `  case " $(echo $loaded) " in *" $u "*) continue ;; esac`,
  `  printf '%s %s\\n' "$u" "$(systemctl show "$u" --property=ActiveState 2>/dev/null | sed 's/^ActiveState=//')"`,
  `done`,
].join("\n");

const BAD_STATES = ["not-found", "masked", "failed"];

/** Ansible's `_list_sysvinit`: `[ + ]  name` lines. */
function sysv(text: string, out: Record<string, Service>): void {
  for (const m of text.matchAll(/^\s*\[ ([+-]) \]\s+(.+)$/gm)) out[m[2]] = { name: m[2], state: m[1] === "+" ? "running" : "stopped", source: "sysv" };
}

/** Ansible's `_list_from_units` and `_list_from_unit_files`, with the states of the unit files not loaded. */
function systemd(units: string, files: string, unloaded: string, out: Record<string, Service>): void {
  for (const line of units.split("\n").filter((l) => l.includes(".service"))) {
    const fields = line.trim().split(/\s+/);
    const bad = BAD_STATES.find((b) => fields.slice(0, -1).includes(b));
    out[fields[0]] = { name: fields[0], state: fields[3] === "running" ? "running" : "stopped", status: bad ?? fields[2], source: "systemd" };
  }
  const states = new Map(
    unloaded
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)] as const),
  );
  for (const line of files.split("\n").filter((l) => l.includes(".service"))) {
    const [name, status] = line.trim().split(/\s+/);
    if (status === undefined) throw new Error(`Malformed output discovered from systemd list-unit-files: ${line}`);
    const known = out[name];
    if (!known) out[name] = { name, state: states.get(name) || "unknown", status, source: "systemd" };
    else if (!BAD_STATES.includes(known.status ?? "")) known.status = status;
  }
}

/**
 * @example
 * (await probe.fact(ServiceTable, {}))["ssh.service"] // { name: "ssh.service", state: "running", status: "enabled", source: "systemd" }
 */
export const ServiceTable = defineFact<Record<string, never>, Record<string, Service>>({
  name: "ServiceTable",
  command: () => ["sh", "-c", SCRIPT],
  parse(r) {
    if (r.code !== 0) throw new Error(`listing services failed (exit ${r.code}): ${r.stderr.trim()}`);
    const [initd = "", units = "", files = "", unloaded = ""] = r.stdout.split(`${CUT}\n`);
    const out: Record<string, Service> = {};
    sysv(initd, out);
    systemd(units, files, unloaded, out);
    return out;
  },
  paths: ["/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/", "/etc/init.d/", "/run/systemd/"],
});
