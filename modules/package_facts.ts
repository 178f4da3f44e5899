/**
 * package_facts: Ansible's package_facts — the packages installed, into
 * `ansible_facts.packages` (and the variable `packages`, as Ansible injects
 * it): name → list of {name, version, arch, category, source}. dpkg's
 * (the `InstalledPackages` fact); reads only, so check mode runs it too.
 */
import { defineModule, noChange, planFailure } from "../engine/module.ts";
import { InstalledPackages } from "../facts/installed-packages.ts";
import { PackageManager } from "../facts/package-manager.ts";

interface Args {
  manager?: string[];
  strategy?: "first" | "all";
}

export default defineModule<Args>({
  name: "package_facts",
  aliases: ["ansible.builtin.package_facts"],
  description:
    "Read the packages installed into `ansible_facts.packages`: each name a list of entries with `version`, `arch`, `category` (the section) and `source`. Changes nothing.",
  schema: {
    type: "object",
    properties: {
      manager: { type: "array", items: { enum: ["auto", "apt", "dpkg"] }, default: ["auto"], description: "apt (dpkg) is the one hoist reads." },
      strategy: { enum: ["first", "all"], default: "first" },
    },
    additionalProperties: false,
  },
  notes:
    "Debian's packages only. No `origin` (Ansible's comes from python3-apt's cache, which hoist does not use; Ansible's module fails without python3-apt).",
  examples: `
- package_facts:
- debug: { msg: "nginx {{ ansible_facts.packages['nginx'][0].version }}" }
  when: "'nginx' in ansible_facts.packages"
`,
  async plan(_args, probe) {
    const manager = await probe.fact(PackageManager, {});
    if (manager !== "apt")
      return planFailure(`Could not detect a supported package manager: hoist reads dpkg's packages, this host's manager is ${manager ?? "unknown"}`);
    const packages = await probe.fact(InstalledPackages, {});
    return noChange({ hostFacts: { packages }, facts: { packages }, reason: `${Object.keys(packages).length} packages` });
  },
});
