/**
 * service_facts: Ansible's service_facts — every service the host's init
 * knows, into `ansible_facts.services` (and the variable `services`, as
 * Ansible injects it): SysV scripts and systemd units with their state and
 * unit-file status. Reads only, so check mode runs it as the real run does.
 */
import { defineModule, noChange } from "../engine/module.ts";
import { ServiceTable } from "../facts/service-table.ts";

export default defineModule<Record<string, never>>({
  name: "service_facts",
  aliases: ["ansible.builtin.service_facts"],
  description:
    "Read every service (SysV scripts, systemd units with `state` and `status`) into `ansible_facts.services`, keyed by name (`ssh.service`). Changes nothing.",
  schema: { type: "object", properties: {}, additionalProperties: false },
  notes: "systemd and SysV (`service --status-all`) as on Debian; upstart, chkconfig, OpenRC, AIX, BSD and launchd are not read.",
  examples: `
- service_facts:
- name: restart ntp only where it runs
  systemd: { name: ntp, state: restarted }
  when: ansible_facts.services['ntp.service'].state == 'running'
`,
  async plan(_args, probe) {
    const services = await probe.fact(ServiceTable, {});
    if (Object.keys(services).length === 0)
      return noChange({ result: { skipped: true, msg: "Failed to find any services. This can be due to privileges or some other configuration issue." } });
    return noChange({ hostFacts: { services }, facts: { services }, reason: `${Object.keys(services).length} services` });
  },
});
