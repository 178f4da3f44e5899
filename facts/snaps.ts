/**
 * Snaps: the installed snaps (`snap list`), and SnapRefreshes: those with a
 * newer revision in their channel (`snap refresh --list`).
 */
import { defineFact } from "../engine/fact.ts";
import { commandFailure } from "../engine/errors.ts";

/**
 * One installed snap as `snap list` shows it: version, revision, the channel it tracks, its notes.
 */
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

/**
 * SnapFile: the name and version of a snap file on the host (`snap info FILE`), for installing local snaps.
 *
 * @example
 * await probe.fact(SnapFile, { path: "/opt/snaps/hello_1.0.snap" }) // { name: "hello", version: "1.0" }
 */
export const SnapFile = defineFact<{ path: string }, { name: string; version: string }>({
  name: "SnapFile",
  command: ({ path }) => ["snap", "info", "--unicode=never", "--color=never", path],
  parse(r, { path }) {
    const name = /^name:\s+(\S+)/m.exec(r.stdout)?.[1];
    const version = /^version:\s+(\S+)/m.exec(r.stdout)?.[1];
    if (r.code !== 0 || !name || !version) throw new Error(commandFailure(`snap info ${path}`, r));
    return { name, version };
  },
  // The snap command itself: an earlier planned install of snapd makes this read unknowable in check mode.
  paths: ["/usr/bin/", "/var/lib/snapd/"],
});
