/**
 * AptSimulation: what one apt-get transaction would install, upgrade and
 * remove, from apt's own dry run (`apt-get -s`), which takes no lock.
 */
import { defineFact } from "../engine/fact.ts";

/**
 * What `apt-get -s` says an install would do: the packages it would install or upgrade, and would remove, or
 * the error apt gave.
 */
export interface AptSimulationValue {
  ok: boolean;
  error: string;
  /** Packages apt would install or upgrade, with versions. */
  installs: Record<string, string>;
  removes: string[];
}

const APT_ENV = ["env", "DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=a"];

/**
 * @example
 * await probe.fact(AptSimulation, { argv: ["install", "--", "tree"] }) // { ok: true, error: "", installs: { tree: "2.1.0-1" }, removes: [] }
 */
export const AptSimulation = defineFact<{ argv: string[] }, AptSimulationValue>({
  name: "AptSimulation",
  command: ({ argv }) => [...APT_ENV, "apt-get", "-s", "-q", "-o", "Debug::NoLocking=1", ...argv],
  parse(r) {
    const installs: Record<string, string> = {};
    const removes: string[] = [];
    for (const line of r.stdout.split("\n")) {
      const inst = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+)/.exec(line);
      if (inst) installs[inst[1]] = inst[2];
      const remv = /^(?:Remv|Purg) (\S+)/.exec(line);
      if (remv) removes.push(remv[1]);
    }
    const error =
      (r.stderr || r.stdout)
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("E:"))
        .join("; ") || r.stderr.trim();
    return { ok: r.code === 0, error, installs, removes };
  },
  paths: ["/var/lib/dpkg/", "/var/lib/apt/", "/etc/apt/"],
});
