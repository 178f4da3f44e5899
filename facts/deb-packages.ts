/**
 * DebPackages: dpkg's state of some packages, their candidate versions when
 * asked, and the age of apt's package lists — in one command.
 */
import { defineFact } from "../engine/fact.ts";

/**
 * One package as dpkg has it: version and status letter.
 */
export interface DebPackageState {
  version: string;
  /** dpkg's status letter: i installed, c config files only, others half-done states. */
  status: string;
}

/**
 * The packages asked for as dpkg has them, their candidates (for `latest`), and the age of the
 * package lists.
 */
export interface DebPackagesValue {
  /** Seconds since the package lists were updated (null: never). */
  cacheAge: number | null;
  installed: Record<string, DebPackageState>;
  candidate: Record<string, string>;
}

const SCRIPT = `now=$(date +%s)
stamp=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0)
echo "cache $((now - stamp))"
[ $# -eq 0 ] || dpkg-query -W -f='pkg \${Package}\t\${Version}\t\${db:Status-Abbrev}\n' -- "$@" 2>/dev/null
[ "$HOIST_CANDIDATES" != 1 ] || [ $# -eq 0 ] || apt-cache policy -- "$@" 2>/dev/null`;

/**
 * @example
 * await probe.fact(DebPackages, { names: ["tree"], candidates: false }) // { cacheAge: 69, installed: { tree: { version: "2.1.0-1", status: "i" } }, candidate: {} }
 */
export const DebPackages = defineFact<{ names: string[]; candidates: boolean }, DebPackagesValue>({
  name: "DebPackages",
  command: ({ names, candidates }) => ["env", `HOIST_CANDIDATES=${candidates ? 1 : 0}`, "sh", "-c", SCRIPT, "sh", ...names],
  parse(r) {
    const out: DebPackagesValue = { cacheAge: null, installed: {}, candidate: {} };
    let policyFor = "";
    for (const line of r.stdout.split("\n")) {
      const cache = /^cache (\d+)$/.exec(line);
      if (cache) out.cacheAge = Number(cache[1]);
      const pkg = /^pkg ([^\t]+)\t([^\t]*)\t(..)/.exec(line);
      if (pkg && (pkg[3][1] === "i" || !out.installed[pkg[1]])) out.installed[pkg[1]] = { version: pkg[2], status: pkg[3][1] };
      const header = /^(\S+):$/.exec(line);
      if (header) policyFor = header[1];
      const cand = /^\s+Candidate: (\S+)/.exec(line);
      if (cand && policyFor && cand[1] !== "(none)") out.candidate[policyFor] = cand[1];
    }
    return out;
  },
  paths: ["/var/lib/dpkg/", "/var/lib/apt/"],
});
