/**
 * NfsExportTable: the kernel's export table as `exportfs -v` prints it —
 * what the NFS server serves now, which may differ from the files (`exportfs
 * -u` by hand, an export added without a file). Null when there is no
 * exportfs (nfs-kernel-server not installed).
 */
import { defineFact } from "../engine/fact.ts";

/**
 * One NFS export as the server has it: path, client and options.
 */
export interface ExportEntry {
  path: string;
  client: string;
  options: string[];
}

/**
 * `exportfs -v` lines: the path, padded, then `client(options)`; a long path
 * puts the client on the next line.
 *
 * @example
 * parseExportTable("/srv/a        \t10.0.0.0/24(sync,rw)\n") // [{ path: "/srv/a", client: "10.0.0.0/24", options: ["sync", "rw"] }]
 */
export function parseExportTable(text: string): ExportEntry[] {
  const out: ExportEntry[] = [];
  let path: string | undefined;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const m = /^(\S+)?\s+(\S+)\(([^)]*)\)\s*$/.exec(line);
    if (m) {
      out.push({ path: (m[1] ?? path)!, client: m[2], options: m[3].split(",").filter(Boolean) });
      path = undefined;
    } else path = line.trim();
  }
  return out.map((e) => ({ ...e, path: e.path.replace(/\\040/g, " ") }));
}

/**
 * @example
 * await probe.fact(NfsExportTable, {}) // [{ path: "/srv/share", client: "10.0.0.0/24", options: ["sync", "rw", …] }]
 */
export const NfsExportTable = defineFact<Record<string, never>, ExportEntry[] | null>({
  name: "NfsExportTable",
  command: () => ["sh", "-c", "command -v exportfs >/dev/null || exit 3; exportfs -v"],
  parse(r) {
    if (r.code === 3) return null;
    if (r.code !== 0) throw new Error(`exportfs -v failed (exit ${r.code}): ${r.stderr.trim()}`);
    return parseExportTable(r.stdout);
  },
  paths: ["/etc/exports", "/etc/exports.d/", "/var/lib/nfs/"],
});
