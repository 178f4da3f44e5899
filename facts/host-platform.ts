/**
 * The platform part of HostFacts: names, kernel, distribution, environment,
 * clock, Python, service and package managers, user and DNS — each parsed
 * from its section of the gathering script's output (see host-facts.ts).
 */
type Facts = Record<string, unknown>;
type Sections = Map<string, string>;

const lines = (text: string | undefined): string[] => (text ?? "").split("\n").filter((l) => l !== "");

/** Ansible's names for os-release IDs. */
const DISTRIBUTIONS: Record<string, string> = {
  debian: "Debian",
  ubuntu: "Ubuntu",
  raspbian: "Debian",
  linuxmint: "Linux Mint",
  centos: "CentOS",
  rhel: "RedHat",
  fedora: "Fedora",
  rocky: "Rocky",
  almalinux: "AlmaLinux",
  ol: "OracleLinux",
  amzn: "Amazon",
  alpine: "Alpine",
  arch: "Archlinux",
  sles: "SLES",
  "opensuse-leap": "openSUSE Leap",
  "opensuse-tumbleweed": "openSUSE Tumbleweed",
};

const FAMILIES: Record<string, string> = {
  Debian: "Debian",
  Ubuntu: "Debian",
  "Linux Mint": "Debian",
  CentOS: "RedHat",
  RedHat: "RedHat",
  Fedora: "RedHat",
  Rocky: "RedHat",
  AlmaLinux: "RedHat",
  OracleLinux: "RedHat",
  Amazon: "RedHat",
  Alpine: "Alpine",
  Archlinux: "Archlinux",
  SLES: "Suse",
  "openSUSE Leap": "Suse",
  "openSUSE Tumbleweed": "Suse",
};

/**
 * `KEY=value` lines of os-release, quotes removed.
 *
 * @example
 * osRelease('ID=debian\nVERSION_ID="12"\n') // { ID: "debian", VERSION_ID: "12" }
 */
export function osRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines(text)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return out;
}

function distributionFacts(s: Sections): Facts {
  if (!s.has("os_release")) return {};
  const release = osRelease(s.get("os_release")!);
  const id = release.ID ?? "";
  const distribution = DISTRIBUTIONS[id] ?? release.NAME ?? "Linux";
  // Debian's point release is in /etc/debian_version (12.5); os-release says only 12.
  const debian = lines(s.get("debian_version"))[0];
  const version = id === "debian" && debian && /^\d/.test(debian) ? debian : (release.VERSION_ID ?? "");
  return {
    distribution,
    distribution_version: version,
    distribution_major_version: version.split(".")[0] ?? "",
    distribution_release: release.VERSION_CODENAME ?? release.UBUNTU_CODENAME ?? "",
    os_family: FAMILIES[distribution] ?? (release.ID_LIKE?.includes("debian") ? "Debian" : release.ID_LIKE?.includes("rhel") ? "RedHat" : distribution),
  };
}

function nameFacts(s: Sections): Facts {
  if (!s.has("hostname")) return {};
  const [system, kernel, kernelVersion] = lines(s.get("kernel"));
  const nodename = lines(s.get("hostname"))[0] ?? "";
  const fqdn = lines(s.get("fqdn"))[0] ?? nodename;
  const machine = lines(s.get("machine"))[0] ?? "";
  return {
    hostname: nodename.split(".")[0],
    fqdn,
    domain: fqdn.includes(".") ? fqdn.slice(fqdn.indexOf(".") + 1) : "",
    nodename,
    kernel,
    kernel_version: kernelVersion ?? "",
    architecture: machine,
    machine,
    system,
    machine_id: lines(s.get("machine_id"))[0] ?? "",
  };
}

function envFacts(s: Sections): Facts {
  if (!s.has("env")) return {};
  const env: Record<string, string> = {};
  for (const entry of Buffer.from(lines(s.get("env"))[0] ?? "", "base64")
    .toString("utf8")
    .split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { env };
}

function dateFacts(s: Sections): Facts {
  const [local] = lines(s.get("date"));
  if (!local) return {};
  const [epoch, nanos, year, month, day, hour, minute, second, weekday, weekdayShort, monthName, monthShort, tz, tzOffset, weekdayNumber, julian, weeknumber] =
    local.split("|");
  const utc = new Date(Number(epoch) * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  const micro = (nanos ?? "000000").slice(0, 6);
  return {
    date_time: {
      epoch,
      epoch_int: epoch,
      year,
      month,
      day,
      hour,
      minute,
      second,
      weekday,
      weekday_number: weekdayNumber === "7" ? "0" : weekdayNumber,
      weeknumber,
      julian_day: julian,
      date: `${year}-${month}-${day}`,
      time: `${hour}:${minute}:${second}`,
      iso8601: utc,
      iso8601_micro: utc.replace("Z", `.${micro}Z`),
      iso8601_basic: `${year}${month}${day}T${hour}${minute}${second}${micro}`,
      iso8601_basic_short: `${year}${month}${day}T${hour}${minute}${second}`,
      tz,
      tz_offset: tzOffset,
      month_name: monthName,
      month_short: monthShort,
      weekday_short: weekdayShort,
    },
  };
}

function pythonFacts(s: Sections): Facts {
  const [executable, version] = lines(s.get("python"));
  const m = /Python (\d+)\.(\d+)\.(\d+)/.exec(version ?? "");
  if (!executable || !m) return {};
  const [major, minor, micro] = m.slice(1).map(Number);
  return {
    python: {
      executable,
      type: "CPython",
      version: { major, minor, micro, releaselevel: "final", serial: 0 },
      version_info: [major, minor, micro, "final", 0],
    },
    python_version: `${major}.${minor}.${micro}`,
  };
}

const PKG_MGRS: Record<string, string> = { "apt-get": "apt", dnf: "dnf", yum: "yum", zypper: "zypper", apk: "apk", pacman: "pacman" };

function managerFacts(s: Sections): Facts {
  const out: Facts = {};
  if (s.has("init")) {
    const init = lines(s.get("init"))[0] ?? "";
    out.service_mgr = init === "systemd" ? "systemd" : init === "init" ? "sysvinit" : init || "service";
  }
  if (s.has("pkg")) {
    const first = lines(s.get("pkg"))[0];
    out.pkg_mgr = first ? (PKG_MGRS[first.split("/").pop()!] ?? "unknown") : "unknown";
  }
  return out;
}

/** `id`'s `uid=0(root) gid=0(root) groups=…`, then $HOME and $SHELL. */
function userFacts(s: Sections): Facts {
  if (!s.has("user")) return {};
  const [id, dir, shell] = lines(s.get("user"));
  const uid = /uid=(\d+)(?:\(([^)]*)\))?/.exec(id ?? "");
  const gid = /gid=(\d+)/.exec(id ?? "");
  return { user_id: uid?.[2] ?? uid?.[1] ?? "", user_uid: Number(uid?.[1]), user_gid: Number(gid?.[1]), user_dir: dir, user_shell: shell };
}

function dnsFacts(s: Sections): Facts {
  if (!s.has("resolv")) return {};
  const dns: { nameservers: string[]; search?: string[]; domain?: string } = { nameservers: [] };
  for (const line of lines(s.get("resolv"))) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === "nameserver" && rest[0]) dns.nameservers.push(rest[0]);
    if (key === "search") dns.search = rest;
    if (key === "domain") dns.domain = rest[0];
  }
  return { dns };
}

/**
 * Platform facts from the script's sections.
 *
 * @example
 * platformFacts(new Map([["init", "systemd\n"]])) // { service_mgr: "systemd" }
 */
export function platformFacts(s: Sections): Facts {
  const facts = { ...nameFacts(s), ...distributionFacts(s) };
  checkNames(facts);
  return { ...facts, ...envFacts(s), ...dateFacts(s), ...pythonFacts(s), ...managerFacts(s), ...userFacts(s), ...dnsFacts(s) };
}

/**
 * Facts playbooks put in file names and name lists (`include_vars: "{{
 * ansible_os_family }}.yml"`, /etc/hosts lines): what a host says of them
 * must be a name, or its gathering fails — a host may lie about itself, but
 * its os-release cannot name a file on the control machine, nor its hostname
 * add names to another host's /etc/hosts.
 */
const NAME_PATTERNS: Record<string, RegExp> = {
  hostname: /^[A-Za-z0-9_-]{0,63}$/,
  nodename: /^[A-Za-z0-9_.-]{0,253}$/,
  fqdn: /^[A-Za-z0-9_.-]{0,253}$/,
  domain: /^[A-Za-z0-9_.-]{0,253}$/,
  distribution: /^[A-Za-z0-9][A-Za-z0-9 _+-]{0,63}$/,
  os_family: /^[A-Za-z0-9][A-Za-z0-9 _+-]{0,63}$/,
  distribution_version: /^[A-Za-z0-9._~+-]{0,64}$/,
  distribution_major_version: /^[A-Za-z0-9._~+-]{0,64}$/,
  distribution_release: /^[A-Za-z0-9._~+-]{0,64}$/,
};

function checkNames(facts: Facts): void {
  for (const [name, pattern] of Object.entries(NAME_PATTERNS)) {
    const v = facts[name];
    if (typeof v === "string" && (!pattern.test(v) || v.includes("..")))
      throw new Error(`the host reports ansible_${name} ${JSON.stringify(v.slice(0, 80))}, which is not a name: refusing its facts`);
  }
}
