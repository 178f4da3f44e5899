/**
 * swap: no swap at all (what kubelet wants), or a swap file of a given size.
 */
import { defineModule, type Change, type Plan, type Probe, type Step } from "../engine/module.ts";
import { planFileContent } from "./lib/managed-file.ts";
import { SwapFile, SwapUnits } from "../facts/swap.ts";
import { projectFact, projectFile, projectStat, type Projection } from "../engine/projection.ts";

interface Args {
  state: "off" | "present" | "absent";
  path?: string;
  size?: string | number;
  priority?: number;
}

const schema = {
  type: "object",
  properties: {
    state: { enum: ["off", "present", "absent"], description: "off: no swap anywhere; present/absent: the swap file at `path`." },
    path: { type: "string", pattern: "^/", description: "The swap file (state present/absent)." },
    size: { type: ["string", "integer"], pattern: "^[0-9]+[KMG]?$", description: "Bytes, or with a K, M or G suffix (state present)." },
    priority: { type: "integer", minimum: -1, maximum: 32767, description: "swapon priority." },
  },
  required: ["state"],
  additionalProperties: false,
  allOf: [
    { if: { properties: { state: { const: "present" } } }, then: { required: ["path", "size"] } },
    { if: { properties: { state: { const: "absent" } } }, then: { required: ["path"] } },
  ],
};

interface ActiveSwap {
  path: string;
  priority: number;
}

function bytes(size: string | number): number {
  const m = /^(\d+)([KMG]?)$/.exec(String(size))!;
  return Number(m[1]) * 1024 ** " KMG".indexOf(m[2] || " ");
}

/**
 * Active swaps this host can see. /proc/swaps is the kernel's, so inside a
 * container it also lists other containers' files; only paths that exist in
 * this host's file system are its own.
 */
async function activeSwaps(probe: Probe): Promise<ActiveSwap[]> {
  const text = await swapsTable(probe);
  const listed = text
    .split("\n")
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(/\s+/))
    .map((f) => ({ path: f[0].replace(/\\040\(deleted\)$/, ""), priority: Number(f[4]) }));
  const stats = await probe.statMany(listed.map((s) => s.path));
  return listed.filter((s) => stats.get(s.path));
}

const swapsTable = async (probe: Probe) => (await probe.readFile("/proc/swaps")) ?? "";

/** /proc/swaps as it will read after the plan, for later plans in check mode. */
async function projectedSwaps(probe: Probe, drop: (path: string) => boolean, add?: string): Promise<Projection> {
  const [header, ...rows] = (await swapsTable(probe)).split("\n").filter(Boolean);
  const kept = rows.filter((r) => !drop(r.split(/\s+/)[0]));
  return projectFile("/proc/swaps", [header ?? "Filename\tType\tSize\tUsed\tPriority", ...kept, ...(add ? [add] : [])].join("\n") + "\n");
}

const isSwapLine = (line: string) => /^\s*[^#\s]\S*\s+\S+\s+swap\s/.test(line);
const commentSwapLines = (fstab: string) =>
  fstab
    .split("\n")
    .map((l) => (isSwapLine(l) ? `#${l}` : l))
    .join("\n");

/** Swap units systemd knows that are backed by a path on this host and are not masked yet. */
async function unmaskedSwapUnits(probe: Probe): Promise<string[]> {
  const units = await probe.fact(SwapUnits, {});
  const stats = await probe.statMany(units.map((u) => u.path));
  return units.filter((u) => stats.get(u.path)).map((u) => u.unit);
}

async function planOff(probe: Probe): Promise<Plan> {
  const changes: Change[] = [];
  const steps: Step[] = [];
  const active = await activeSwaps(probe);
  for (const s of active) {
    changes.push({ resource: `swap:${s.path}`, field: "active", before: "on", after: "off" });
    steps.push({ run: ["swapoff", "--", s.path] });
  }
  const fstab = await planFileContent(probe, "/etc/fstab", commentSwapLines);
  changes.push(...fstab.changes);
  steps.push(...fstab.steps);
  const units = await unmaskedSwapUnits(probe);
  if (units.length) {
    changes.push({ resource: "swap:units", field: "masked", before: units.join(" "), after: "masked" });
    steps.push({ run: ["systemctl", "mask", "--", ...units] });
  }
  if (!changes.length) return { changes, steps, reason: "no active swap, none in /etc/fstab" };
  const own = new Set(active.map((s) => s.path));
  return { changes, steps, projects: [await projectedSwaps(probe, (p) => own.has(p)), projectFact(SwapUnits, {}, [])] };
}

function fstabEdit(path: string, line: string | null) {
  return (fstab: string) => {
    // A line for this path, live or commented out by `state: off`, is replaced rather than kept beside the new one.
    const lines = fstab.split("\n").filter((l) => l.replace(/^#\s*/, "").split(/\s+/)[0] !== path);
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    if (line) lines.push(line);
    return lines.length ? lines.join("\n") + "\n" : "";
  };
}

async function planFile(args: Args, probe: Probe): Promise<Plan> {
  const path = args.path!;
  const changes: Change[] = [];
  const steps: Step[] = [];
  const active = (await activeSwaps(probe)).find((s) => s.path === path);
  const file = await probe.fact(SwapFile, { path });
  if (args.state === "absent") {
    if (active) {
      changes.push({ resource: `swap:${path}`, field: "active", before: "on", after: "off" });
      steps.push({ run: ["swapoff", "--", path] });
    }
    if (file) {
      changes.push({ field: "file", path, before: `${file.size} bytes`, after: null });
      steps.push({ run: ["rm", "-f", "--", path] });
    }
  } else {
    const size = bytes(args.size!);
    const rebuild = !file || file.size !== size || !file.signed;
    if (rebuild) {
      if (active) steps.push({ run: ["swapoff", "--", path] });
      changes.push({ field: "file", path, before: file ? `${file.size} bytes${file.signed ? "" : ", not swap"}` : null, after: `${size} bytes, swap` });
      steps.push(
        {
          run: [
            "sh",
            "-c",
            'rm -f -- "$1" && install -m 0600 /dev/null "$1" && { fallocate -l "$2" -- "$1" || dd if=/dev/zero of="$1" bs=1024 count=$(( $2 / 1024 )) status=none; }',
            "sh",
            path,
            String(size),
          ],
          describe: `allocate ${path}`,
        },
        { run: ["mkswap", "--", path] },
      );
    }
    const priority = args.priority ?? -2;
    const samePriority = args.priority === undefined || active?.priority === args.priority;
    if (!active || rebuild || !samePriority) {
      if (active && !rebuild) steps.push({ run: ["swapoff", "--", path] });
      changes.push({
        resource: `swap:${path}`,
        field: "active",
        before: active ? `on, priority ${active.priority}` : "off",
        after: `on${args.priority === undefined ? "" : `, priority ${args.priority}`}`,
      });
      steps.push({ run: ["swapon", ...(priority >= -1 ? ["-p", String(priority)] : []), "--", path] });
    }
  }
  const options = args.priority === undefined ? "sw" : `sw,pri=${args.priority}`;
  const fstab = await planFileContent(probe, "/etc/fstab", fstabEdit(path, args.state === "present" ? `${path} none swap ${options} 0 0` : null));
  changes.push(...fstab.changes);
  steps.push(...fstab.steps);
  if (!changes.length) return { changes, steps, reason: args.state === "present" ? `${path} is on` : `${path} does not exist` };
  const on = args.state === "present" ? `${path} file ${bytes(args.size!) / 1024 - 4} 0 ${args.priority ?? -2}` : undefined;
  const projects = [
    await projectedSwaps(probe, (p) => p === path, on),
    projectStat(path, on ? { type: "file", mode: "0600", owner: "root", group: "root", size: bytes(args.size!) } : null),
    projectFact(SwapFile, { path }, on ? { size: bytes(args.size!), signed: true } : null),
  ];
  return { changes, steps, projects };
}

export default defineModule<Args>({
  name: "swap",
  description:
    "Turn all swap off for good (swapoff, swap lines in /etc/fstab commented out, swap units masked: what kubelet needs), or keep a swap file of a given size and priority on.",
  schema,
  notes: [
    "Ansible has no swap module; playbooks use command: swapoff -a plus lineinfile on /etc/fstab. This does both, reads /proc/swaps, and masks swap units so systemd does not turn swap back on at boot.",
    "A swap file whose size differs, or that has no swap signature, is recreated.",
    "In a container, /proc/swaps lists the whole kernel's swap; only files visible in the host's own file system are managed.",
  ].join("\n"),
  examples: `
- name: no swap, as kubelet requires
  swap: { state: off }
- name: a 2 GiB swap file
  swap: { state: present, path: /swapfile, size: 2G, priority: 10 }
`,
  plan: (args, probe) => (args.state === "off" ? planOff(probe) : planFile(args, probe)),
});
