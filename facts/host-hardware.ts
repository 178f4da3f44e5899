/**
 * The hardware part of HostFacts: memory and swap (/proc/meminfo), CPUs
 * (/proc/cpuinfo, nproc) and mounts (/proc/mounts with df's sizes), in
 * Ansible's names and units.
 */
type Facts = Record<string, unknown>;
type Sections = Map<string, string>;

const lines = (text: string | undefined): string[] => (text ?? "").split("\n").filter((l) => l !== "");

/** Kernel filesystems that are not storage: Ansible's mounts leave them out too. */
const PSEUDO = new Set([
  "proc",
  "sysfs",
  "devpts",
  "cgroup",
  "cgroup2",
  "mqueue",
  "securityfs",
  "debugfs",
  "tracefs",
  "pstore",
  "bpf",
  "fusectl",
  "configfs",
  "hugetlbfs",
  "autofs",
  "binfmt_misc",
  "rpc_pipefs",
  "nsfs",
  "efivarfs",
  "devtmpfs",
]);

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(Number.parseInt(o, 8)));

function memoryFacts(text: string | undefined): Facts {
  const kb: Record<string, number> = {};
  for (const line of lines(text)) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) kb[m[1]] = Number(m[2]);
  }
  const mb = (k: string) => Math.floor((kb[k] ?? 0) / 1024);
  return { memtotal_mb: mb("MemTotal"), memfree_mb: mb("MemFree"), swaptotal_mb: mb("SwapTotal"), swapfree_mb: mb("SwapFree") };
}

/** How many CPUs `Cpus_allowed_list: 0-3,8` (the shell's own /proc/self/status) names: what nproc says. */
function allowedCpus(status: string | undefined): number | undefined {
  const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(status ?? "")?.[1];
  if (!list) return undefined;
  return list.split(",").reduce((n, r) => {
    const [a, b] = r.split("-").map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);
}

function cpuFacts(cpuinfo: string | undefined, status: string | undefined): Facts {
  const entries = lines(cpuinfo);
  const vcpus = entries.filter((l) => l.startsWith("processor")).length;
  const sockets = new Set(entries.filter((l) => l.startsWith("physical id")).map((l) => l.split(":")[1]?.trim())).size || 1;
  const cores = Number(/^cpu cores\s*:\s*(\d+)/m.exec(entries.join("\n"))?.[1] ?? vcpus / sockets);
  return {
    processor_vcpus: vcpus,
    processor_count: sockets,
    processor_cores: cores,
    processor_threads_per_core: Math.max(1, Math.round(vcpus / (sockets * cores))),
    processor_nproc: allowedCpus(status) ?? vcpus,
  };
}

function mountFacts(mounts: string | undefined, df: string | undefined): Facts {
  const sizes = new Map<string, { total: number; available: number; used: number }>();
  for (const line of lines(df).slice(1)) {
    const f = line.split(/\s+/);
    if (f.length >= 6) sizes.set(f.slice(5).join(" "), { total: Number(f[1]), used: Number(f[2]), available: Number(f[3]) });
  }
  const out = [];
  for (const line of lines(mounts)) {
    const [device, mount, fstype, options] = line.split(" ");
    if (!mount || PSEUDO.has(fstype)) continue;
    const size = sizes.get(unescapeOctal(mount));
    out.push({
      device: unescapeOctal(device),
      mount: unescapeOctal(mount),
      fstype,
      options,
      ...(size ? { size_total: size.total, size_available: size.available } : {}),
    });
  }
  return { mounts: out };
}

/**
 * Hardware facts from the script's sections.
 *
 * @example
 * hardwareFacts(new Map([["meminfo", "MemTotal: 2048000 kB\n"]])).memtotal_mb // 2000
 */
export function hardwareFacts(s: Sections): Facts {
  if (!s.has("meminfo")) return {};
  return { ...memoryFacts(s.get("meminfo")), ...cpuFacts(s.get("cpuinfo"), s.get("status")), ...mountFacts(s.get("mounts"), s.get("df")) };
}
