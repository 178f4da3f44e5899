/**
 * SystemdUnit: what systemd says of one unit — loaded or not, active or not,
 * its unit file state, and whether its file changed since systemd read it.
 */
import { defineFact } from "../engine/fact.ts";
import { commandFailure } from "../engine/errors.ts";

export interface UnitState {
  LoadState: string;
  ActiveState: string;
  UnitFileState: string;
  NeedDaemonReload: string;
}

/**
 * @example
 * await probe.fact(SystemdUnit, { unit: "haproxy.service" }) // { LoadState: "loaded", ActiveState: "active", UnitFileState: "enabled", NeedDaemonReload: "no" }
 */
export const SystemdUnit = defineFact<{ unit: string }, UnitState>({
  name: "SystemdUnit",
  command: ({ unit }) => ["systemctl", "show", "--property=LoadState,ActiveState,UnitFileState,NeedDaemonReload", "--", unit],
  parse(r, { unit }) {
    if (r.code !== 0) throw new Error(commandFailure(`systemctl show ${unit}`, r));
    const props = Object.fromEntries(
      r.stdout
        .split("\n")
        .filter((l) => l.includes("="))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    return { LoadState: "", ActiveState: "", UnitFileState: "", NeedDaemonReload: "no", ...props } as UnitState;
  },
  paths: ["/etc/systemd/", "/lib/systemd/", "/usr/lib/systemd/", "/run/systemd/"],
});
