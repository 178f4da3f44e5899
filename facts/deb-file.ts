/**
 * DebFile: the package name and version a .deb file on the host holds.
 */
import { defineFact } from "../engine/fact.ts";
import { commandFailure } from "../engine/errors.ts";

/**
 * @example
 * await probe.fact(DebFile, { path: "/tmp/tool_1.2.3_amd64.deb" }) // { name: "tool", version: "1.2.3" }
 */
export const DebFile = defineFact<{ path: string }, { name: string; version: string } | { fail: string }>({
  name: "DebFile",
  command: ({ path }) => ["dpkg-deb", "-f", "--", path, "Package", "Version"],
  files: ({ path }) => [path],
  parse(r, { path }) {
    if (r.code !== 0) return { fail: commandFailure(`dpkg-deb -f ${path}`, r) };
    const f = Object.fromEntries(
      r.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => [l.split(":")[0], l.slice(l.indexOf(":") + 1).trim()]),
    );
    return { name: f.Package, version: f.Version };
  },
});
