/**
 * UnitsNeedingReload: the loaded units whose files changed on disk since
 * systemd read them (their NeedDaemonReload), the ones `systemctl
 * daemon-reload` is for. A unit that is not loaded needs no reload: systemd
 * reads its file when it loads it.
 */
import { defineFact } from "../engine/fact.ts";
import { commandFailure } from "../engine/errors.ts";

/**
 * @example
 * await probe.fact(UnitsNeedingReload, {}) // ["haproxy.service"]
 */
export const UnitsNeedingReload = defineFact<Record<string, never>, string[]>({
  name: "UnitsNeedingReload",
  command: () => ["systemctl", "show", "--property=Id", "--property=NeedDaemonReload", "--", "*"],
  parse(r) {
    if (r.code !== 0) throw new Error(commandFailure("systemctl show", r));
    const out: string[] = [];
    for (const block of r.stdout.split(/\n\s*\n/)) {
      const id = /^Id=(.*)$/m.exec(block)?.[1];
      if (id && /^NeedDaemonReload=yes$/m.test(block)) out.push(id);
    }
    return out.sort();
  },
  paths: ["/etc/systemd/", "/run/systemd/", "/lib/systemd/", "/usr/lib/systemd/", "/etc/fstab"],
});
