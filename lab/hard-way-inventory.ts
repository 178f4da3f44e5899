/**
 * An inventory for Kubernetes the hard way on a lab of six or more hosts:
 * node1 the API's load balancer, node2-4 controllers (etcd on them),
 * node5-6 workers with a pod subnet each; the prod inventory's group_vars,
 * with the lab's own values above them (group `kubernetes`).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Lab } from "./lab.ts";
import { connectionVars, hostLine } from "./inventory-lines.ts";

/**
 * Write the inventory under `dir`; returns its path.
 *
 * @example
 * const inventory = hardWayInventory(lab, dir, { kubernetes_download_url: "http://10.199.20.1:8080" });
 */
export function hardWayInventory(lab: Lab, dir: string, vars: Record<string, unknown>, repoRoot: string): string {
  if (lab.hosts.length < 6) throw new Error(`the hard way needs six lab hosts, lab '${lab.name}' has ${lab.hosts.length}`);
  const [lb, c1, c2, c3, w1, w2] = lab.hosts;
  mkdirSync(join(dir, "group_vars"), { recursive: true });
  const inventory = join(dir, "hosts.ini");
  writeFileSync(
    inventory,
    [
      "[lb]",
      hostLine(lb),
      "[controllers]",
      ...[c1, c2, c3].map(hostLine),
      "[etcd:children]",
      "controllers",
      "[workers]",
      `${hostLine(w1)} kube_pod_cidr=10.200.1.0/24`,
      `${hostLine(w2)} kube_pod_cidr=10.200.2.0/24`,
      "[kubernetes:children]",
      "lb",
      "controllers",
      "workers",
      "[all:vars]",
      ...connectionVars(lab),
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "group_vars", "all.yaml"), readFileSync(join(repoRoot, "inventories", "prod", "group_vars", "all.yaml"), "utf8"));
  writeFileSync(
    join(dir, "group_vars", "kubernetes.yaml"),
    JSON.stringify({ kubernetes_api_address: lb.address, kube_credentials_dir: join(dir, "credentials"), ...vars }),
  );
  return inventory;
}
