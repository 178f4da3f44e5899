/**
 * SystemdUnit: what systemd says of one unit — loaded or not, active or not,
 * its unit file state, and whether its files changed since systemd read them.
 * systemd's own NeedDaemonReload misses a drop-in it has never seen (a new
 * `UNIT.d/*.conf`), so the administrator's drop-in directories are listed too
 * and compared with the drop-ins systemd loaded (DropInPaths).
 */
import { defineFact } from "../engine/fact.ts";
import { commandFailure } from "../engine/errors.ts";

/**
 * A unit as systemd has it: load and active states, unit file state, and whether its files
 * changed since systemd read them.
 */
export interface UnitState {
  LoadState: string;
  ActiveState: string;
  UnitFileState: string;
  NeedDaemonReload: string;
}

/** Where administrators (and hoist) put drop-ins; packages' own come with their own reload. */
const DROP_IN_DIRS = ["/etc/systemd/system", "/run/systemd/system"];
/** Where systemd finds unit files, the administrator's first. */
const UNIT_DIRS = ["/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

/**
 * @example
 * await probe.fact(SystemdUnit, { unit: "haproxy.service" }) // { LoadState: "loaded", ActiveState: "active", UnitFileState: "enabled", NeedDaemonReload: "no" }
 */
export const SystemdUnit = defineFact<{ unit: string }, UnitState>({
  name: "SystemdUnit",
  command: ({ unit }) => [
    "sh",
    "-c",
    `systemctl show --property=LoadState,ActiveState,UnitFileState,NeedDaemonReload,DropInPaths -- "$1" || exit $?
for f in ${DROP_IN_DIRS.map((d) => `${d}/"$1".d/*.conf`).join(" ")}; do [ -e "$f" ] && echo "DropInFile=$f"; done; exit 0`,
    "sh",
    unit,
  ],
  parse(r, { unit }) {
    if (r.code !== 0) throw new Error(commandFailure(`systemctl show ${unit}`, r));
    const lines = r.stdout.split("\n").filter((l) => l.includes("="));
    const props = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
    const onDisk = lines.filter((l) => l.startsWith("DropInFile=")).map((l) => l.slice("DropInFile=".length));
    const loaded = (props.DropInPaths ?? "").split(" ").filter((p: string) => DROP_IN_DIRS.some((d) => p.startsWith(`${d}/`)));
    const unseen = onDisk.some((f) => !loaded.includes(f)) || loaded.some((f: string) => !onDisk.includes(f));
    return {
      LoadState: props.LoadState ?? "",
      ActiveState: props.ActiveState ?? "",
      UnitFileState: props.UnitFileState ?? "",
      NeedDaemonReload: props.NeedDaemonReload === "yes" || unseen ? "yes" : "no",
    };
  },
  paths: ["/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/", "/run/systemd/"],
  files: ({ unit }) => {
    const name = /\.[a-z]+$/.test(unit) ? unit : `${unit}.service`;
    return UNIT_DIRS.flatMap((d) => [`${d}/${name}`, `${d}/${name}.d/`]);
  },
});
