/**
 * Snaps: the installed snaps (`snap list`), and SnapRefreshes: those with a
 * newer revision in their channel (`snap refresh --list`).
 */
import { defineFact } from "../engine/fact.ts";
import { commandFailure } from "../engine/errors.ts";

export interface InstalledSnap {
  version: string;
  rev: string;
  tracking: string;
  notes: string[];
}

/**
 * @example
 * await probe.fact(Snaps, {}) // { core22: { version: "20240111", rev: "1122", tracking: "latest/stable", notes: ["base"] } }
 */
export const Snaps = defineFact<Record<string, never>, Record<string, InstalledSnap>>({
  name: "Snaps",
  command: () => ["snap", "list", "--unicode=never", "--color=never"],
  parse(r) {
    if (r.code !== 0)
      throw new Error(commandFailure("snap list", r.stderr.trim() || r.stdout.trim() ? r : { ...r, stderr: "is snapd installed and running?" }));
    const out: Record<string, InstalledSnap> = {};
    for (const line of r.stdout.split("\n").slice(1)) {
      const [name, version, rev, tracking, , notes] = line.trim().split(/\s+/);
      if (name) out[name] = { version, rev, tracking, notes: notes && notes !== "-" ? notes.split(",") : [] };
    }
    return out;
  },
  paths: ["/var/lib/snapd/", "/snap/"],
});

/**
 * @example
 * await probe.fact(SnapRefreshes, {}) // ["lxd"]
 */
export const SnapRefreshes = defineFact<Record<string, never>, string[]>({
  name: "SnapRefreshes",
  command: () => ["snap", "refresh", "--list", "--unicode=never", "--color=never"],
  parse: (r) =>
    r.code === 0
      ? r.stdout
          .split("\n")
          .slice(1)
          .map((l) => l.trim().split(/\s+/)[0])
          .filter(Boolean)
      : [],
  paths: ["/var/lib/snapd/", "/snap/"],
});

/**
 * SnapConfig: a snap's configuration (`snap get -d`), {} when it has none.
 *
 * @example
 * await probe.fact(SnapConfig, { name: "lxd" }) // { daemon: { group: "lxd" } }
 */
export const SnapConfig = defineFact<{ name: string }, Record<string, unknown>>({
  name: "SnapConfig",
  command: ({ name }) => ["snap", "get", "-d", name],
  parse: (r) => (r.code === 0 ? JSON.parse(r.stdout || "{}") : {}),
  paths: ["/var/lib/snapd/"],
});
