/**
 * `hoist lab`: real Debian hosts on this machine, each a systemd-nspawn
 * container with systemd as PID 1, sshd, its own network namespace and an
 * overlayfs root over one cached debootstrap image, on a private bridge that
 * routes nowhere. Writes an Ansible INI inventory with a lab key and a lab
 * known_hosts. Needs root; installs its Debian packages itself.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, openSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { connectionVars, hostLine } from "./inventory-lines.ts";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { parseArgs } from "node:util";
import { $ } from "zx";
import { InputError } from "../engine/errors.ts";
import { ensureRepo, REPO_DIR } from "./repo.ts";

$.quiet = true;
$.verbose = false;

/**
 * Where the lab keeps what it builds once (root file systems, binaries, images).
 */
export const CACHE = "/var/cache/hoist-lab";
const BASE = join(CACHE, "base-bookworm-v1");
const STATE = "/var/lib/hoist-lab";
const PACKAGES = ["debootstrap", "systemd-container", "iproute2", "openssh-client", "dpkg-dev", "squashfs-tools"];
const BASE_INCLUDE = "systemd,systemd-sysv,dbus,openssh-server,sudo,python3,iproute2,procps,kmod,ca-certificates";

/**
 * One lab host: its name and address.
 */
export interface LabHost {
  name: string;
  address: string;
}

/**
 * A running lab: its hosts, the SSH key and known_hosts that reach them, the inventory.
 */
export interface Lab {
  name: string;
  dir: string;
  inventory: string;
  key: string;
  knownHosts: string;
  hosts: LabHost[];
  /** The Kubernetes binaries every host sees at /opt/kubernetes/bin, when the lab was asked for them. */
  kubernetes?: string;
  /** Control-machine paths every host sees read-only, by path in the host (a suite's own tools). */
  binds?: Record<string, string>;
  /** Hosts can run containers (containerd, runc): see LabOptions.containers. */
  containers?: boolean;
  /** Hosts can run snapd: see LabOptions.snaps. */
  snaps?: boolean;
  /** The stand-in microk8s snap's path in every host, when the lab was asked for it (LabOptions.microk8s). */
  microk8sSnap?: string;
}

/** What a lab may be asked for beyond its hosts. */
export interface LabOptions {
  /** Build (once) and bind the Kubernetes binaries. */
  kubernetes?: boolean;
  /** Bind these control-machine paths read-only into every host: `{ "/opt/node/bin/node": "/usr/bin/node" }`. */
  binds?: Record<string, string>;
  /**
   * Hosts that can run containers: cgroup v2 inside (runc needs it here), the keyring
   * and bpf system calls allowed, and /var/lib/containerd off the overlay root
   * (overlayfs cannot be a snapshotter's upper directory on overlayfs), and the kernel
   * tunables the kubelet insists on answered from files in the host (see labUp).
   */
  containers?: boolean;
  /**
   * Hosts that can run snapd (with what `containers` gives): a /dev/fuse node made inside
   * each host (never the control machine's bound in), udevd started although /sys is
   * read-only, and the lab's stand-in snaps at /opt/hoist-lab/snaps (lab/snaps.ts).
   */
  snaps?: boolean;
  /** Hosts that can run snapd, with the stand-in microk8s snap among the lab's snaps (lab/microk8s-snap.ts). */
  microk8s?: boolean;
}

const labDir = (name: string) => join(STATE, name);

/** The kernel tunables the kubelet insists on, with the values it wants (see labUp). */
const KUBELET_TUNABLES: [string, number][] = [
  ["/proc/sys/vm/overcommit_memory", 1],
  ["/proc/sys/kernel/panic", 10],
  ["/proc/sys/kernel/panic_on_oops", 1],
];

/**
 * The cgroup hierarchies a host gets a cgroup of its own in. The control
 * machine may run no systemd to give each container a unit (nspawn runs with
 * --keep-unit --register=no), so without this every host shares one tree:
 * systemd in one host sees the others' processes, and stopping a unit on one
 * host can leave a process of it running. cgroup v1 with a named systemd
 * hierarchy and a unified one (hybrid), or cgroup v2 alone.
 */
function cgroupRoots(): string[] {
  const hybrid = ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"].filter((d) => existsSync(join(d, "cgroup.procs")));
  return hybrid.length ? hybrid : existsSync("/sys/fs/cgroup/cgroup.controllers") ? ["/sys/fs/cgroup"] : [];
}
const hostCgroups = (lab: string, node: string) => cgroupRoots().map((root) => join(root, "hoist-lab", lab, node));

/** Every process left in a host's cgroups killed, and the cgroups removed (deepest first). */
async function removeCgroups(lab: string): Promise<void> {
  for (const root of cgroupRoots()) {
    const top = join(root, "hoist-lab", lab);
    if (!existsSync(top)) continue;
    const dirs: string[] = [];
    const walk = (d: string) => {
      dirs.push(d);
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    };
    walk(top);
    for (const d of dirs)
      for (const pid of readFileSync(join(d, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // already gone
        }
      }
    for (let i = 0; i < 50 && dirs.some((d) => readFileSync(join(d, "cgroup.procs"), "utf8").trim()); i++) await new Promise((r) => setTimeout(r, 100));
    for (const d of dirs.reverse()) await $`rmdir ${d}`.nothrow();
  }
}
/** Subnet per lab name, so two labs can coexist: 10.199.N.0/24. */
function subnet(name: string): number {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 200;
  return h + 20;
}
const bridge = (name: string) => `hl-${name}`.slice(0, 15);
/** Short machine names keep node5 and node50 (and other labs' hosts) apart in veth names. */
const machineName = (net: number, index: number) => `hl${net}n${index}`;
/** The host side of a container's veth: nspawn names it "vb-" and the machine name, cut to 15 characters. */
const veth = (machine: string) => `vb-${machine}`.slice(0, 15);

/**
 * Every host's systemd takes inotify instances from the one kernel; the
 * default 128 per user runs out near 30 hosts. Only ever raised, never lowered.
 */
function raiseInotifyLimits(hosts: number): void {
  const limits: [string, number][] = [
    ["/proc/sys/fs/inotify/max_user_instances", 64 * hosts + 128],
    ["/proc/sys/fs/inotify/max_user_watches", 16384 * hosts + 65536],
  ];
  for (const [file, wanted] of limits) {
    if (Number(readFileSync(file, "utf8")) < wanted) writeFileSync(file, `${wanted}\n`);
  }
}

async function ensurePackages(): Promise<void> {
  const missing = [];
  for (const p of PACKAGES) if ((await $`dpkg-query -W -f=${"${Status}"} ${p}`.nothrow()).stdout !== "install ok installed") missing.push(p);
  if (missing.length === 0) return;
  await $`apt-get update -qq`;
  await $({ env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } })`apt-get install -y -qq ${missing}`;
}

/** The cached base root file system, built once with debootstrap. */
async function ensureBase(log: (s: string) => void): Promise<void> {
  if (existsSync(join(BASE, ".hoist-ready"))) return;
  log(`building base image in ${BASE} (debootstrap, about a minute)`);
  rmSync(BASE, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  await $`debootstrap --variant=minbase --include=${BASE_INCLUDE} bookworm ${BASE} http://deb.debian.org/debian`;
  await $`chroot ${BASE} systemctl enable systemd-networkd`;
  await $`chroot ${BASE} systemctl mask systemd-resolved.service getty@tty1.service console-getty.service`.nothrow();
  writeFileSync(join(BASE, "etc/machine-id"), "");
  for (const f of readdirSync(join(BASE, "etc/ssh"))) if (f.startsWith("ssh_host_")) rmSync(join(BASE, "etc/ssh", f));
  // Lab hosts reach no mirror: only the lab's own repository.
  writeFileSync(join(BASE, "etc/apt/sources.list"), "deb [trusted=yes] file:/srv/hoist-repo ./\n");
  rmSync(join(BASE, "etc/apt/sources.list.d"), { recursive: true, force: true });
  mkdirSync(join(BASE, "etc/apt/sources.list.d"));
  mkdirSync(join(BASE, "srv/hoist-repo"), { recursive: true });
  writeFileSync(join(BASE, ".hoist-ready"), new Date().toISOString());
}

function waitForPort(address: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePromise, reject) => {
    const attempt = () => {
      const s = connect({ host: address, port });
      const retry = () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`${address}:${port} did not answer within ${timeoutMs} ms`));
        else setTimeout(attempt, 200);
      };
      // A SYN sent before the host's network is up goes unanswered and the kernel would wait a minute or more for it.
      s.setTimeout(1000, retry);
      s.once("data", () => {
        s.destroy();
        resolvePromise();
      });
      s.once("error", retry);
    };
    attempt();
  });
}

async function bootHost(lab: Lab, index: number, net: number): Promise<LabHost> {
  const name = machineName(net, index);
  const dir = join(lab.dir, `node${index}`);
  // Containers and snapd need the same host: cgroup v2 inside, keyring and bpf calls, containerd's store off the overlay.
  const containerHost = !!(lab.containers || lab.snaps);
  const merged = join(dir, "root");
  for (const d of ["upper", "work", "root", "swap", ...(containerHost ? ["containerd"] : [])]) mkdirSync(join(dir, d), { recursive: true });
  await $`mount -t overlay overlay -o ${`lowerdir=${BASE},upperdir=${join(dir, "upper")},workdir=${join(dir, "work")}`} ${merged}`;
  const address = `10.199.${net}.${10 + index}`;
  writeFileSync(join(merged, "etc/hostname"), `node${index}\n`);
  writeFileSync(join(merged, "etc/hosts"), `127.0.0.1 localhost\n127.0.1.1 node${index}\n`);
  if (lab.snaps) {
    // snapd reloads udev rules when it installs a snap; udevd skips containers, whose /sys is read-only.
    mkdirSync(join(merged, "etc/systemd/system/systemd-udevd.service.d"), { recursive: true });
    writeFileSync(join(merged, "etc/systemd/system/systemd-udevd.service.d/hoist-lab.conf"), "[Unit]\nConditionPathIsReadWrite=\n");
  }
  writeFileSync(
    join(merged, "etc/systemd/network/10-host0.network"),
    // The default route points at the bridge, as a real host's points at its router (facts read the
    // default interface from it); the control machine does not forward, so it still leads nowhere.
    `[Match]\nName=host0\n\n[Network]\nAddress=${address}/24\nGateway=10.199.${net}.1\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`,
  );
  mkdirSync(join(merged, "root/.ssh"), { recursive: true, mode: 0o700 });
  writeFileSync(join(merged, "root/.ssh/authorized_keys"), readFileSync(`${lab.key}.pub`), { mode: 0o600 });
  await $`ssh-keygen -q -t ed25519 -N ${""} -f ${join(merged, "etc/ssh/ssh_host_ed25519_key")}`;
  const hostKey = readFileSync(join(merged, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  writeFileSync(lab.knownHosts, `${address} ${hostKey}\n`, { flag: "a" });
  // The kernel removes a dead container's veth lazily, with its network namespace; one left from
  // the last host of this name makes nspawn fail with "File exists".
  await $`ip link del ${veth(name)}`.nothrow();
  const out = openSync(join(dir, "console.log"), "w");
  const cgroups = hostCgroups(lab.name, `node${index}`);
  for (const c of cgroups) mkdirSync(c, { recursive: true });
  // The host's first process moves itself into its own cgroups, then becomes systemd-nspawn.
  const child = spawn(
    "sh",
    [
      "-c",
      'for c in $HOIST_CGROUPS; do echo $$ > "$c/cgroup.procs" || exit 1; done; exec systemd-nspawn "$@"',
      "hoist-lab",
      "-D",
      merged,
      "--keep-unit",
      "--register=no",
      "-b",
      `--network-bridge=${bridge(lab.name)}`,
      `--machine=${name}`,
      "--system-call-filter=@swap",
      ...(containerHost ? ["--system-call-filter=@keyring bpf", `--bind=${join(dir, "containerd")}:/var/lib/containerd`] : []),
      `--bind=${join(dir, "swap")}:/swap`,
      `--bind-ro=${REPO_DIR}:/srv/hoist-repo`,
      ...(lab.kubernetes ? [`--bind-ro=${lab.kubernetes}:/opt/kubernetes/bin`] : []),
      ...Object.entries(lab.binds ?? {}).map(([inHost, source]) => `--bind-ro=${source}:${inHost}`),
      "--console=passive",
    ],
    {
      detached: true,
      stdio: ["ignore", out, out],
      env: { ...process.env, HOIST_CGROUPS: cgroups.join(" "), ...(containerHost ? { SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: "1" } : {}) },
    },
  );
  child.unref();
  writeFileSync(join(dir, "pid"), String(child.pid));
  return { name: `node${index}`, address };
}

function writeInventory(lab: Lab): void {
  const lines = ["# written by `hoist lab up`; removed by `hoist lab down`", "[lab]"];
  for (const h of lab.hosts) lines.push(hostLine(h));
  lines.push("", "[lab:vars]", ...connectionVars(lab), `hoist_lab=${lab.name}`, "");
  writeFileSync(lab.inventory, lines.join("\n"));
  writeFileSync(join(lab.dir, "lab.json"), JSON.stringify(lab, null, 2));
}

/**
 * Boot `count` hosts and return the lab, its inventory and key.
 *
 * @example
 * const lab = await labUp(3, "test");
 * // hoist run site.yaml -i lab.inventory
 */
export async function labUp(
  count: number,
  name = "hoist",
  log: (s: string) => void = () => {},
  packages: string[] = [],
  options: LabOptions = {},
): Promise<Lab> {
  if (process.getuid?.() !== 0) throw new InputError("hoist lab needs root (systemd-nspawn, overlayfs, a bridge)");
  if (!/^[a-z0-9]{1,10}$/.test(name)) throw new InputError("lab name: 1-10 lowercase letters or digits");
  await ensurePackages();
  if (options.microk8s) options = { ...options, snaps: true };
  // The repository first: the microk8s snap takes its etcd from it, and two builds of it must not race.
  await ensureRepo(log, [...packages, ...(options.microk8s ? ["etcd-server"] : [])]);
  const [kubernetes, images, snaps, microk8sSnap] = await Promise.all([
    options.kubernetes ? (await import("./kubernetes.ts")).ensureKubernetes(log) : undefined,
    options.containers ? (await import("./images.ts")).ensureImages(log) : undefined,
    options.snaps ? (await import("./snaps.ts")).ensureSnaps(log) : undefined,
    options.microk8s ? (await import("./microk8s-snap.ts")).ensureMicrok8sSnap(log) : undefined,
    ensureBase(log),
  ]);
  raiseInotifyLimits(count);
  if (existsSync(labDir(name))) await labDown(name);
  const dir = labDir(name);
  mkdirSync(dir, { recursive: true });
  const lab: Lab = {
    name,
    dir,
    inventory: join(dir, "hosts.ini"),
    key: join(dir, "id_ed25519"),
    knownHosts: join(dir, "known_hosts"),
    hosts: [],
    ...(kubernetes ? { kubernetes } : {}),
    ...(options.binds || images || snaps
      ? { binds: { ...options.binds, ...(images ? { "/opt/hoist-lab/images": images } : {}), ...(snaps ? { "/opt/hoist-lab/snaps": snaps } : {}) } }
      : {}),
    ...(options.containers ? { containers: true } : {}),
    ...(options.snaps ? { snaps: true } : {}),
    ...(microk8sSnap ? { microk8sSnap: `/opt/hoist-lab/snaps/${basename(microk8sSnap)}` } : {}),
  };
  await $`ssh-keygen -q -t ed25519 -N ${""} -C ${`hoist-lab-${name}`} -f ${lab.key}`;
  writeFileSync(lab.knownHosts, "");
  const net = subnet(name);
  const br = bridge(name);
  await $`ip link add ${br} type bridge`;
  await $`ip addr add ${`10.199.${net}.1/24`} dev ${br}`;
  await $`ip link set ${br} up`;
  for (let i = 1; i <= count; i++) lab.hosts.push(await bootHost(lab, i, net));
  writeInventory(lab);
  await Promise.all(
    lab.hosts.map((h, i) =>
      waitForPort(h.address, 22, 60000).catch((e: Error) => {
        const console = readFileSync(join(dir, `node${i + 1}`, "console.log"), "utf8")
          .trim()
          .split("\n")
          .slice(-12)
          .join("\n  ");
        throw new Error(`lab host ${h.name} did not boot: ${e.message}; its console:\n  ${console}`);
      }),
    ),
  );
  // Hosts boot with package lists of the lab repository, as a real host has lists of its mirror.
  // FUSE (squashfuse mounts snaps) through a node of the host's own: binding the control machine's changes its mode.
  const fuse = lab.snaps ? "test -e /dev/fuse || mknod -m 0666 /dev/fuse c 10 229; " : "";
  // The kubelet opens /dev/kmsg, which containers lack; kind links it to the console the same way.
  const kmsg = lab.containers ? "test -e /dev/kmsg || ln -s /dev/console /dev/kmsg; " : "";
  // The kubelet sets three kernel tunables and stops when it cannot: /proc/sys is read-only in a host, and
  // writing them would change the kernel this machine shares (panic_on_oops=1 panics it on an oops). Each
  // host answers them from files of its own holding what the kubelet wants, so it finds nothing to set.
  const tunables = lab.containers
    ? KUBELET_TUNABLES.map(([path, value], i) => `echo ${value} > /run/hoist-lab-tunable-${i} && mount --bind /run/hoist-lab-tunable-${i} ${path}; `).join("")
    : "";
  await Promise.all(lab.hosts.map((h) => labShell(lab, h.name, `${fuse}${kmsg}${tunables}apt-get update -qq`)));
  log(`lab '${name}' is up: ${count} hosts; inventory ${lab.inventory}`);
  return lab;
}

/**
 * Run a shell command on a lab host as root with the system's ssh client, the
 * lab key and the lab known_hosts — independent of hoist's own SSH transport.
 *
 * @example
 * await labShell(lab, "node1", "systemctl daemon-reload");
 */
export async function labShell(lab: Lab, host: string, command: string): Promise<string> {
  const address = lab.hosts.find((h) => h.name === host)?.address;
  if (!address) throw new Error(`lab '${lab.name}' has no host ${host}`);
  return (await $`ssh -q -i ${lab.key} -o UserKnownHostsFile=${lab.knownHosts} -o BatchMode=yes root@${address} ${command}`).stdout;
}

/** Stop and remove every trace of a lab. */
export async function labDown(name = "hoist"): Promise<void> {
  const dir = labDir(name);
  if (existsSync(dir)) {
    const nodes = readdirSync(dir).filter((d) => d.startsWith("node"));
    const pids = nodes
      .map((n) => join(dir, n, "pid"))
      .filter(existsSync)
      .map((p) => Number(readFileSync(p, "utf8")));
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 15000;
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
    await removeCgroups(name);
    for (const n of nodes) await $`umount -l ${join(dir, n, "root")}`.nothrow();
    for (const n of nodes) await $`ip link del ${veth(machineName(subnet(name), Number(n.slice(4))))}`.nothrow();
    // Swap is the kernel's: a swap file a host left on outlives the host and cannot be removed. Only plain
    // files: a name a host planted (a link to the control machine's own swap device) is never given to swapoff.
    for (const f of labSwapFiles(nodes.map((n) => join(dir, n, "swap")))) await $`swapoff -- ${f}`.nothrow();
    rmSync(dir, { recursive: true, force: true });
  }
  await $`ip link del ${bridge(name)}`.nothrow();
}

/**
 * The files under `dirs` that may be swapping: regular files only, never a
 * link (a host could plant one to the control machine's own swap device).
 *
 * @example
 * labSwapFiles(["/var/lib/hoist-lab/x/node1/swap"]) // ["/var/lib/hoist-lab/x/node1/swap/swapfile"]
 */
export function labSwapFiles(dirs: string[]): string[] {
  return dirs
    .filter((d) => existsSync(d))
    .flatMap((d) => readdirSync(d).map((f) => join(d, f)))
    .filter((f) => lstatSync(f, { throwIfNoEntry: false })?.isFile());
}

/**
 * The lab of this name, when one is running.
 */
export function labStatus(name = "hoist"): Lab | undefined {
  const file = join(labDir(name), "lab.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Lab) : undefined;
}

/**
 * `hoist lab up|down|status`: the lab's command line; exit code as `main`.
 */
export async function labCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      packages: { type: "string", multiple: true },
      kubernetes: { type: "boolean" },
      containers: { type: "boolean" },
      snaps: { type: "boolean" },
      microk8s: { type: "boolean" },
    },
  });
  const [sub, n] = positionals;
  const name = values.name ?? "hoist";
  const log = (s: string) => process.stderr.write(`lab: ${s}\n`);
  if (sub === "up") {
    const count = n === undefined ? 3 : Number(n);
    if (!Number.isInteger(count) || count < 1 || count > 60) throw new InputError("lab up N: N is 1 to 60");
    const packages = (values.packages ?? [])
      .flatMap((p) => p.split(","))
      .map((p) => p.trim())
      .filter(Boolean);
    const lab = await labUp(count, name, log, packages, {
      kubernetes: !!values.kubernetes,
      containers: !!values.containers,
      snaps: !!values.snaps,
      microk8s: !!values.microk8s,
    });
    process.stdout.write(`${resolve(lab.inventory)}\n`);
    return 0;
  }
  if (sub === "down") {
    await labDown(name);
    return 0;
  }
  if (sub === "status") {
    const lab = labStatus(name);
    process.stdout.write(lab ? `${lab.hosts.map((h) => `${h.name} ${h.address}`).join("\n")}\ninventory: ${lab.inventory}\n` : `no lab '${name}'\n`);
    return lab ? 0 : 1;
  }
  if (sub === "inventory" && n === "microk8s-ha") {
    const lab = labStatus(name);
    if (!lab) throw new InputError(`no lab '${name}': hoist lab up 5 --name ${name} --microk8s first`);
    const { microk8sInventory } = await import("./microk8s-inventory.ts");
    const { repositoryRoot } = await import("./repository.ts");
    process.stdout.write(`${microk8sInventory(lab, join(lab.dir, "microk8s-ha"), {}, repositoryRoot())}\n`);
    return 0;
  }
  throw new InputError(
    "usage: hoist lab up [N] [--name NAME] [--packages P,Q] [--kubernetes] [--containers] [--snaps] [--microk8s] | hoist lab down [--name NAME] | hoist lab status [--name NAME] | hoist lab inventory microk8s-ha [--name NAME]",
  );
}
