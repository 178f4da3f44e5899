/**
 * package: Ansible's generic package module — the host's own package
 * manager, named by `ansible_pkg_mgr`. A front of `apt` on Debian and Ubuntu
 * (same reads, one transaction, apt's simulation in check mode); another
 * manager fails, saying which, until hoist has a module for it.
 */
import { defineModule, planFailure, type PlanContext, type Plan, type Probe } from "../engine/module.ts";
import { debianPackage } from "./lib/argument-types.ts";
import { PackageManager } from "../facts/package-manager.ts";
import apt from "./apt.ts";

interface Args {
  name: string | string[];
  lock_timeout?: number;
  state?: "present" | "installed" | "latest" | "absent" | "removed";
  use?: string;
}

/** Any manager's package name (RedHat's have capitals: libXpm-devel); apt's own rule is checked on an apt host. */
const packageName = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9+._:=*~@-]*$" } as const;
const debianName = new RegExp(debianPackage.pattern);

/** Ansible's spellings of the states (`installed` and `removed` are older names). */
const STATES = { present: "present", installed: "present", latest: "latest", absent: "absent", removed: "absent" } as const;

async function plan(args: Args, probe: Probe, ctx: PlanContext): Promise<Plan> {
  const found = await probe.fact(PackageManager, {});
  const manager = args.use && args.use !== "auto" ? args.use : found;
  if (manager !== "apt")
    return planFailure(
      manager === "unknown"
        ? `${probe.host} has none of the package managers hoist knows (apt, dnf, yum, zypper, apk, pacman)`
        : `${probe.host} uses ${manager}; hoist's package module drives apt only so far`,
    );
  const bad = [args.name].flat().find((n) => !debianName.test(n));
  if (bad !== undefined) return planFailure(`'${bad}' is not a Debian package name (lower case: letters, digits, + . -)`);
  return apt.plan({ name: args.name, state: STATES[args.state ?? "present"], update_cache: false, purge: false }, probe, ctx);
}

export default defineModule<Args>({
  name: "package",
  aliases: ["ansible.builtin.package"],
  description: "Install or remove packages with the host's package manager (apt here; others fail clearly until written).",
  schema: {
    type: "object",
    properties: {
      name: { anyOf: [packageName, { type: "array", items: packageName }], description: "Package name(s), as the host's manager spells them." },
      state: { enum: Object.keys(STATES), default: "present" },
      use: { type: "string", pattern: "^[a-z0-9_]+$", description: "The manager to use; `auto` (default) is the host's own." },
      // Options Ansible passes on to the host's manager, which roles set for other systems.
      enablerepo: { unimplemented: { why: "a dnf/yum option" } },
      disablerepo: { unimplemented: { why: "a dnf/yum option" } },
      allow_downgrade: { unimplemented: { why: "downgrades are not done by hoist's apt", harmless: [false] } },
      lock_timeout: { type: "integer", description: "Accepted: hoist waits up to 10 minutes for the dpkg lock." },
    },
    required: ["name"],
    additionalProperties: false,
  },
  notes: "For apt's own options (cache_valid_time, purge, install_recommends) use the apt module.",
  examples: `
- name: tools, whatever the distribution
  package: { name: [curl, jq], state: present }
`,
  plan,
});
