/**
 * HostFacts: what Ansible's `setup` gathers that real roles read, in one
 * command: a POSIX shell script printing one `@@section` after another,
 * parsed here without running anything (network and hardware parts in their
 * own files). The subsets follow Ansible's `gather_subset`.
 */
import { defineFact, type RunResult } from "../engine/module.ts";
import { networkFacts } from "./host-network.ts";
import { hardwareFacts } from "./host-hardware.ts";
import { platformFacts } from "./host-platform.ts";

/**
 * Host facts by name, without the `ansible_` prefix.
 */
export type Facts = Record<string, unknown>;

/** The groups of facts one can ask for; Ansible's `min` is every group but network and hardware. */
export const SUBSETS = ["platform", "distribution", "env", "date_time", "python", "service_mgr", "pkg_mgr", "user", "dns", "network", "hardware"] as const;
/**
 * A `gather_subset` group of host facts.
 */
export type Subset = (typeof SUBSETS)[number];
const MIN: Subset[] = SUBSETS.filter((s) => s !== "network" && s !== "hardware");

/**
 * The groups a `gather_subset` names: `all`, `min`, a group, or `!group`
 * to leave one out; `min` stays unless `!min` says so, as in Ansible.
 *
 * @example
 * subsets(["!all", "network"]) // the min groups and network
 */
export function subsets(gatherSubset: string[]): Subset[] {
  const groups = (name: string): Subset[] => (name === "all" ? [...SUBSETS] : name === "min" ? MIN : SUBSETS.filter((s) => s === name));
  const given = gatherSubset.length ? gatherSubset : ["all"];
  const positive = given.filter((e) => !e.startsWith("!"));
  // Without a group named, everything; `!all` says only what is named (and min).
  const wanted = new Set<Subset>(positive.length || given.includes("!all") ? positive.flatMap(groups) : SUBSETS);
  if (!given.includes("!min")) for (const g of MIN) wanted.add(g);
  const excluded = new Set(given.filter((e) => e.startsWith("!") && e !== "!all" && e !== "!min").flatMap((e) => groups(e.slice(1))));
  return SUBSETS.filter((g) => wanted.has(g) && !excluded.has(g));
}

/** The subset names `gather_subset` accepts. */
export const SUBSET_NAMES = ["all", "min", ...SUBSETS, "virtual", "facter", "ohai"];

/**
 * Few processes: gathering costs the play a round trip, so files are read
 * with the shell's own read (no cat), and only what has no file (fqdn,
 * machine, clock, Python's version, addresses, disk sizes) runs a command.
 */
const SCRIPT = `show() { while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < "$1"; } 2>/dev/null
for s in "$@"; do case $s in
platform) echo @@hostname; show /proc/sys/kernel/hostname; echo @@fqdn; timeout 2 hostname -f 2>/dev/null || show /proc/sys/kernel/hostname; echo @@kernel; show /proc/sys/kernel/ostype; show /proc/sys/kernel/osrelease; show /proc/sys/kernel/version; echo @@machine; uname -m; echo @@machine_id; show /etc/machine-id;;
distribution) echo @@os_release; show /etc/os-release || show /usr/lib/os-release; echo @@debian_version; show /etc/debian_version;;
env) echo @@env; base64 -w0 /proc/self/environ; echo;;
date_time) echo @@date; date '+%s|%N|%Y|%m|%d|%H|%M|%S|%A|%a|%B|%b|%Z|%z|%u|%j|%W';;
python) echo @@python; for p in python3 python; do if command -v $p; then $p --version 2>&1; break; fi; done;;
service_mgr) echo @@init; show /proc/1/comm;;
pkg_mgr) echo @@pkg; for m in apt-get dnf yum zypper apk pacman; do command -v $m; done;;
user) echo @@user; id; echo "$HOME"; echo "$SHELL";;
dns) echo @@resolv; show /etc/resolv.conf;;
network) echo @@links; ip -o link show 2>/dev/null; echo @@addrs; ip -o addr show 2>/dev/null; echo @@route4; show /proc/net/route; echo @@route6; show /proc/net/ipv6_route;;
hardware) echo @@meminfo; show /proc/meminfo; echo @@cpuinfo; grep -E '^(processor|physical id|cpu cores)' /proc/cpuinfo; echo @@status; show /proc/self/status; echo @@mounts; show /proc/mounts; echo @@df; df -P -B1 2>/dev/null;;
esac; done; true`;

/**
 * The output split at its `@@name` lines.
 *
 * @example
 * sections("@@hostname\nnode1\n") // Map { "hostname" => "node1\n" }
 */
export function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  const flush = () => name !== undefined && out.set(name, lines.length ? `${lines.join("\n")}\n` : "");
  for (const line of stdout.split("\n")) {
    const m = /^@@([a-z0-9_]+)$/.exec(line);
    if (m) {
      flush();
      name = m[1];
      lines = [];
    } else if (name !== undefined) lines.push(line);
  }
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  flush();
  return out;
}

function parseFacts(r: RunResult): Facts {
  if (r.code !== 0) throw new Error(`gathering facts failed (exit ${r.code}): ${r.stderr.trim()}`);
  const s = sections(r.stdout);
  return { ...platformFacts(s), ...networkFacts(s), ...hardwareFacts(s) };
}

/**
 * The facts of a host, without the `ansible_` prefix (`hostname`, `default_ipv4`, …).
 *
 * @example
 * const facts = await probe.fact(HostFacts, { subsets: ["platform", "network"] });
 * facts.default_ipv4 // { address: "10.0.0.2", interface: "host0", gateway: "10.0.0.1", … }
 */
export const HostFacts = defineFact<{ subsets: Subset[] }, Facts>({
  name: "HostFacts",
  command: ({ subsets }) => ["sh", "-c", SCRIPT, "hoist-facts", ...subsets],
  parse: parseFacts,
  // Each gathering asks again: facts are as the host is now.
  fresh: true,
  paths: ["/etc/hostname", "/etc/hosts", "/etc/os-release", "/etc/machine-id", "/etc/resolv.conf", "/etc/fstab"],
});
