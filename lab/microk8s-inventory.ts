/**
 * An inventory for the MicroK8s HA playbook on a lab of five or more hosts
 * booted with `microk8s` (the stand-in snap): node1 the load balancer, node2
 * the NFS server, node3-5 the MicroK8s nodes; the prod inventory's
 * group_vars, with the lab's own values over them (group `k8s`): the
 * stand-in snap from its file, snapd's lab needs, the lab network, and what
 * a lab host cannot do (set its clock, serve NFS from the kernel).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import type { Lab } from "./lab.ts";
import { connectionVars, hostLine } from "./inventory-lines.ts";

/**
 * Write the inventory under `dir`; returns its path.
 *
 * @example
 * const inventory = microk8sInventory(lab, dir, {}, repoRoot);
 */
export function microk8sInventory(lab: Lab, dir: string, vars: Record<string, unknown>, repoRoot: string): string {
  if (lab.hosts.length < 5 || !lab.microk8sSnap)
    throw new Error(`MicroK8s HA needs five lab hosts booted with microk8s, lab '${lab.name}' has ${lab.hosts.length}`);
  const [lb, nfs, ...nodes] = lab.hosts;
  mkdirSync(join(dir, "group_vars"), { recursive: true });
  const inventory = join(dir, "hosts.ini");
  writeFileSync(
    inventory,
    [
      "[microk8s]",
      ...nodes.slice(0, 3).map(hostLine),
      "[lb]",
      hostLine(lb),
      "[nfs]",
      hostLine(nfs),
      "[k8s:children]",
      "microk8s",
      "lb",
      "nfs",
      "[all:vars]",
      ...connectionVars(lab),
      "",
    ].join("\n"),
  );
  const prod = join(repoRoot, "inventories", "prod", "group_vars");
  writeFileSync(join(dir, "group_vars", "all.yaml"), readFileSync(join(prod, "all.yaml"), "utf8"));
  const snaps = "/opt/hoist-lab/snaps";
  const labVars = {
    ...(load(readFileSync(join(prod, "k8s.yaml"), "utf8")) as Record<string, unknown>),
    microk8s_snap: lab.microk8sSnap,
    microk8s_snap_dangerous: true,
    microk8s_snap_prerequisites: [`${snaps}/snapd.snap`, `${snaps}/bare.snap`],
    microk8s_snapd_packages: ["snapd", "squashfuse", "fuse3", "udev"],
    microk8s_node_cidr: lb.address.replace(/\.\d+$/, ".0/24"),
    microk8s_api_extra_sans: [lb.address],
    microk8s_domain: "k8s.lab.test",
    // Lab hosts have root alone; a suite that makes the operators' user names it.
    microk8s_users: [],
    time_sync_set_clock: false,
    nfs_server_service: false,
    ...vars,
  };
  writeFileSync(join(dir, "group_vars", "k8s.yaml"), JSON.stringify(labVars));
  return inventory;
}
