/**
 * sysctl: a kernel parameter, live in /proc/sys and persisted in sysctl.d.
 */
import { defineModule, type Change, type Plan, type Probe, type Step, noChange, planFailure } from "../engine/module.ts";
import { absolutePath } from "./lib/argument-types.ts";
import { SysctlValue, sysctlPath } from "../facts/sysctl-value.ts";
import { projectFact, unknowable, type Projection } from "../engine/projection.ts";
import { planFileContent } from "./lib/managed-file.ts";
import { editLine } from "./lib/text-edit.ts";

interface Args {
  name: string;
  value?: string | number | boolean;
  state?: "present" | "absent";
  sysctl_file?: string;
  reload?: boolean;
}

const schema = {
  type: "object",
  properties: {
    name: { type: "string", pattern: "^[A-Za-z0-9_][A-Za-z0-9_./-]*$", description: "The key, e.g. net.ipv4.ip_forward." },
    value: { type: ["string", "number", "boolean"], description: "The value; true/false become 1/0, whitespace between fields is normalised." },
    state: { enum: ["present", "absent"], default: "present" },
    sysctl_file: { ...absolutePath, default: "/etc/sysctl.d/99-hoist.conf", description: "Where the value is persisted." },
    reload: { type: "boolean", default: true, description: "Also set the live value when it differs." },
    sysctl_set: { type: "boolean", description: "Accepted for Ansible's sake: hoist always compares the live value, and sets it with `reload`." },
    ignoreerrors: { unimplemented: { why: "unknown keys are errors in hoist", harmless: [false] } },
  },
  required: ["name"],
  additionalProperties: false,
  if: { properties: { state: { const: "present" } } },
  then: { required: ["value"] },
};

/** Keys that only exist once a kernel module is loaded. */
const KEY_MODULES: [RegExp, string][] = [
  [/^net\.bridge\./, "br_netfilter"],
  [/^net\.netfilter\.nf_conntrack/, "nf_conntrack"],
  [/^net\.ipv4\.vs\./, "ip_vs"],
];

const normalize = (v: string) => v.trim().split(/\s+/).join(" ");
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function plan(args: Args, probe: Probe): Promise<Plan> {
  const file = args.sysctl_file!;
  const keyLine = new RegExp(`^\\s*${escapeRegExp(args.name)}\\s*=`);
  const changes: Change[] = [];
  const steps: Step[] = [];

  if (args.state === "absent") {
    const persisted = await planFileContent(probe, file, (text) => editLine(text, { regexp: keyLine.source, state: "absent" }));
    if (persisted.before === null || !persisted.changes.length) return noChange(`${args.name} is not in ${file}`);
    return { changes: persisted.changes, steps: persisted.steps, reason: "the live value is left as it is" };
  }

  const value = normalize(typeof args.value === "boolean" ? (args.value ? "1" : "0") : String(args.value));
  const persisted = await planFileContent(probe, file, (text) => editLine(text, { line: `${args.name} = ${value}`, regexp: keyLine.source, state: "present" }));
  changes.push(...persisted.changes);
  steps.push(...persisted.steps);

  const live = args.reload ? await probe.fact(SysctlValue, { name: args.name }) : value;
  const projects: Projection[] = [];
  if (live === null) {
    const module = KEY_MODULES.find(([re]) => re.test(args.name))?.[1];
    if (!module) return planFailure(`no kernel parameter ${args.name} on ${probe.host} (${sysctlPath(args.name)} does not exist)`);
    const load = await planFileContent(probe, `/etc/modules-load.d/${module}.conf`, `${module}\n`);
    changes.push(...load.changes, { resource: `kernel-module:${module}`, field: "loaded", before: "not loaded", after: "loaded" });
    steps.push(...load.steps, { run: ["modprobe", "--", module] });
    // Loading the module brings all its keys, at their defaults: later reads of them cannot be known in check mode.
    projects.push(unknowable({ facts: [SysctlValue] }));
  }
  if (live !== value) {
    changes.push({ resource: `sysctl:${args.name}`, field: "live value", before: live, after: value });
    // One kernel parameter: what else the host answers stays as it was (SysctlValue is made of this file alone).
    steps.push({ run: ["sysctl", "-w", `${args.name}=${value}`], describe: `sysctl -w ${args.name}=${value}`, touches: [sysctlPath(args.name)] });
  }
  if (!changes.length) return { changes, steps, reason: `${args.name} = ${value}, live and in ${file}` };
  return { changes, steps, projects: [...projects, projectFact(SysctlValue, { name: args.name }, value)] };
}

export default defineModule<Args>({
  name: "sysctl",
  aliases: ["ansible.posix.sysctl"],
  description:
    "Set a kernel parameter: the live value (/proc/sys) and the persisted one (a sysctl.d file), each changed only where it differs. Loads the kernel module a key needs (br_netfilter for net.bridge.*) and persists it in modules-load.d.",
  schema,
  notes: [
    "The default file is /etc/sysctl.d/99-hoist.conf, not /etc/sysctl.conf.",
    "`reload: true` sets the one live value with sysctl -w when it differs, rather than re-applying the whole file (sysctl -p), so the live and persisted values are compared and reported separately.",
    "`state: absent` removes the key from the file and leaves the live value alone, as Ansible does.",
    "No `sysctl_set`/`ignoreerrors`: the live value is always checked.",
  ].join("\n"),
  examples: `
- name: forward packets
  sysctl: { name: net.ipv4.ip_forward, value: 1 }
- name: let iptables see bridged traffic (loads br_netfilter)
  sysctl: { name: net.bridge.bridge-nf-call-iptables, value: 1, sysctl_file: /etc/sysctl.d/90-kubernetes.conf }
- name: persisted only, applied at next boot
  sysctl: { name: vm.swappiness, value: 0, reload: false }
`,
  plan,
});
