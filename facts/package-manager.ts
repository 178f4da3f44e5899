/**
 * PackageManager: which package manager the host has, as Ansible's
 * `ansible_pkg_mgr` names it (apt, dnf, yum, zypper, apk, pacman), or
 * "unknown". The first of them on the PATH wins, in Ansible's order.
 */
import { defineFact } from "../engine/fact.ts";

const MANAGERS: Record<string, string> = { "apt-get": "apt", dnf: "dnf", yum: "yum", zypper: "zypper", apk: "apk", pacman: "pacman" };

/**
 * @example
 * await probe.fact(PackageManager, {}) // "apt"
 */
export const PackageManager = defineFact<Record<string, never>, string>({
  name: "PackageManager",
  command: () => ["sh", "-c", 'for m in "$@"; do command -v "$m"; done; true', "sh", ...Object.keys(MANAGERS)],
  parse(r) {
    if (r.code !== 0) throw new Error(`looking for a package manager failed (exit ${r.code}): ${r.stderr.trim()}`);
    const first = r.stdout.split("\n").find((l) => l.trim());
    return first ? (MANAGERS[first.trim().split("/").pop()!] ?? "unknown") : "unknown";
  },
  paths: ["/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/"],
});
