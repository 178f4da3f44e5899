/**
 * The lines of a lab's inventories: one per host, and the variables that
 * reach every host (root, the lab key, the lab known_hosts). Shared by the
 * lab's own inventory and the playbooks' lab inventories.
 */
import type { Lab, LabHost } from "./lab.ts";

/**
 * An inventory line for a lab host, and the variables that reach every lab
 * host (root, the lab key, the lab known_hosts): what a playbook's own lab
 * inventory is written from.
 *
 * @example
 * ["[web]", hostLine(lab.hosts[0]), "[all:vars]", ...connectionVars(lab)].join("\n")
 */
export const hostLine = (h: LabHost): string => `${h.name} ansible_host=${h.address}`;
/**
 * Inventory variables that make hoist reach a lab host as root with the lab's key and
 * known_hosts.
 */
export const connectionVars = (lab: Lab): string[] => ["ansible_user=root", `ansible_ssh_private_key_file=${lab.key}`, `hoist_known_hosts=${lab.knownHosts}`];
