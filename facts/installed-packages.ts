/**
 * InstalledPackages: every package dpkg has installed, as Ansible's
 * package_facts lists them with its apt manager — keyed by name (with
 * `:arch` for another architecture's), each a list of one entry with its
 * version, architecture and section. One dpkg-query.
 */
import { defineFact } from "../engine/fact.ts";

/** One installed package, with Ansible's keys but `origin` (see the package_facts module). */
export interface InstalledPackage {
  name: string;
  version: string;
  arch: string;
  category: string;
  source: "apt";
}

/**
 * @example
 * (await probe.fact(InstalledPackages, {})).openssh_server // undefined: names are dpkg's, "openssh-server"
 */
export const InstalledPackages = defineFact<Record<string, never>, Record<string, InstalledPackage[]>>({
  name: "InstalledPackages",
  command: () => [
    "sh",
    "-c",
    "dpkg --print-architecture && dpkg-query -W -f='${Package}\\t${Version}\\t${Architecture}\\t${Section}\\t${db:Status-Abbrev}\\n'",
  ],
  parse(r) {
    if (r.code !== 0) throw new Error(`dpkg-query failed (exit ${r.code}): ${r.stderr.trim()}`);
    const [native, ...lines] = r.stdout.split("\n");
    const out: Record<string, InstalledPackage[]> = {};
    for (const line of lines.filter(Boolean)) {
      const [pkg, version, arch, section, status = ""] = line.split("\t");
      // Installed: any state with an installed version (not "not installed", not "config files only").
      if ("nc".includes(status[1] ?? "n")) continue;
      const name = arch === native || arch === "all" ? pkg : `${pkg}:${arch}`;
      (out[name] ??= []).push({ name, version, arch, category: section, source: "apt" });
    }
    return out;
  },
  files: () => ["/var/lib/dpkg/status"],
});
