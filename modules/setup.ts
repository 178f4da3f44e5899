/**
 * setup: gather the host's facts (hostname, addresses, distribution, memory,
 * mounts, …) in one round trip. The engine runs it for `gather_facts`; as a
 * task it gathers again, or gathers another host's facts with `delegate_to`
 * and `delegate_facts`.
 */
import { defineModule, noChange } from "../engine/module.ts";
import { HostFacts, SUBSET_NAMES, subsets } from "../facts/host-facts.ts";

interface Args {
  gather_subset?: string | string[];
  filter?: string | string[];
  gather_timeout?: number;
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(",").map((s) => s.trim()));

/** Shell-style globs (`ansible_eth*`) as a test on fact names. */
function globTest(patterns: string[]): (name: string) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .replace(/^ansible_/, "")
          .replace(/[.+^${}()|[\]\\]/g, "\\$&")
          .replace(/\*/g, ".*")
          .replace(/\?/g, ".")}$`,
      ),
  );
  return (name) => res.length === 0 || res.some((r) => r.test(name));
}

/** The facts `setup` gathers, without `ansible_`, by the group that gathers them; each interface adds one more (`ansible_eth0`, network). */
const GROUPS: Record<string, string[]> = {
  platform: ["hostname", "fqdn", "domain", "nodename", "kernel", "kernel_version", "architecture", "machine", "machine_id", "system"],
  distribution: ["distribution", "distribution_version", "distribution_major_version", "distribution_release", "os_family"],
  env: ["env"],
  date_time: ["date_time"],
  python: ["python", "python_version"],
  service_mgr: ["service_mgr"],
  pkg_mgr: ["pkg_mgr"],
  user: ["user_id", "user_uid", "user_gid", "user_dir", "user_shell"],
  dns: ["dns"],
  network: ["interfaces", "all_ipv4_addresses", "all_ipv6_addresses", "default_ipv4", "default_ipv6"],
  hardware: [
    "memtotal_mb",
    "memfree_mb",
    "swaptotal_mb",
    "swapfree_mb",
    "processor_vcpus",
    "processor_count",
    "processor_cores",
    "processor_threads_per_core",
    "processor_nproc",
    "mounts",
  ],
};
const FACT_GROUPS = Object.fromEntries(Object.entries(GROUPS).flatMap(([group, names]) => names.map((n) => [n, group])));

const subsetList = {
  anyOf: [{ enum: SUBSET_NAMES.flatMap((n) => [n, `!${n}`]) }, { type: "array", items: { enum: SUBSET_NAMES.flatMap((n) => [n, `!${n}`]) } }],
};

export default defineModule<Args>({
  name: "setup",
  gathersFacts: FACT_GROUPS,
  description:
    "Gather facts about the host in one command: names, addresses and interfaces, distribution, kernel, memory, CPUs, mounts, environment, clock, Python, service and package managers. Each is readable as `ansible_<name>` and `ansible_facts.<name>`.",
  schema: {
    type: "object",
    properties: {
      gather_subset: { ...subsetList, description: "all (default), min, network, hardware, platform, …; `!name` leaves a group out." },
      filter: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }], description: "Only facts whose names match these globs." },
      gather_timeout: { type: "number", minimum: 1, description: "Accepted for Ansible compatibility; gathering is one command." },
    },
    additionalProperties: false,
  },
  notes: [
    "No `fact_path` (local facts), no `virtual`, `facter` or `ohai` facts (accepted as subset names, gather nothing).",
    "Gathering runs as the connection user, not the play's become user (ansible_env is that user's environment).",
  ].join("\n"),
  examples: `
- name: gather network facts only
  setup: { gather_subset: ["!all", network] }
- name: facts of the load balancer, for templates on this host
  setup: {}
  delegate_to: lb1
  delegate_facts: true
`,
  async plan(args, probe) {
    const gathered = await probe.fact(HostFacts, { subsets: subsets(asList(args.gather_subset)) });
    const keep = globTest(asList(args.filter));
    const facts = Object.fromEntries(Object.entries(gathered).filter(([k]) => keep(k)));
    return noChange({ reason: `${Object.keys(facts).length} facts`, hostFacts: facts, result: { ansible_facts: facts } });
  },
});
