/**
 * FileBytes: a file's content as base64 (binary-safe), null when it cannot
 * be read; MismatchedEntries: what under a directory lacks a mode, owner or
 * group.
 */
import { defineFact } from "../engine/fact.ts";

/**
 * @example
 * await probe.fact(FileBytes, { path: "/usr/share/logo.png" }) // "iVBORw0KGgo…"
 */
export const FileBytes = defineFact<{ path: string }, string | null>({
  name: "FileBytes",
  command: ({ path }) => ["base64", "-w0", "--", path],
  parse: (r) => (r.code === 0 ? r.stdout.trim() : null),
  files: ({ path }) => [path],
});

/**
 * @example
 * await probe.fact(MismatchedEntries, { path: "/srv/data", mode: "0750" }) // ["/srv/data/a"]
 */
export const MismatchedEntries = defineFact<{ path: string; mode?: string; owner?: string; group?: string }, string[]>({
  name: "MismatchedEntries",
  command({ path, mode, owner, group }) {
    const tests = [
      ...(mode ? ["!", "-perm", mode.slice(1)] : []),
      ...(owner ? [...(mode ? ["-o"] : []), "!", "-user", owner] : []),
      ...(group ? [...(mode || owner ? ["-o"] : []), "!", "-group", group] : []),
    ];
    return ["find", "-P", path, "-mindepth", "1", "(", ...tests, ")", "-print"];
  },
  parse: (r) => r.stdout.split("\n").filter(Boolean),
  files: ({ path }) => [path],
});
