/**
 * The playbooks this repository ships load and validate — every play, role,
 * task file and module argument the loader can check without a host — and
 * the prod inventory has the groups they name.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPlaybook } from "../../engine/load/playbook.ts";
import { loadModules } from "../../engine/load/registry.ts";
import { groupsMap, loadInventory } from "../../engine/load/inventory.ts";

const root = join(fileURLToPath(import.meta.url), "..", "..", "..", "..");
const dir = join(root, "playbooks");

test("every playbook in playbooks/ and playbooks/examples/ loads and validates", async () => {
  const registry = await loadModules();
  const files = [
    ...readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => join(dir, f)),
    ...readdirSync(join(dir, "examples"))
      .filter((f) => f.endsWith(".yaml"))
      .map((f) => join(dir, "examples", f)),
  ];
  assert.ok(files.some((f) => f.endsWith("microk8s-ha.yaml")) && files.some((f) => f.endsWith("kubernetes-hard-way.yaml")));
  for (const f of files) {
    const plays = await loadPlaybook(f, registry).catch((e: Error) => {
      throw new Error(`${f}: ${e.message}`);
    });
    assert.ok(plays.length > 0, f);
  }
});

test("the prod inventory has the groups the two Kubernetes playbooks name", () => {
  const groups = groupsMap(loadInventory(join(root, "inventories", "prod")));
  for (const g of ["microk8s", "lb", "nfs", "k8s", "controllers", "etcd", "workers", "kubernetes"]) assert.ok((groups[g] ?? []).length > 0, g);
  assert.equal(groups.microk8s.length, 3, "three MicroK8s nodes: high availability");
});
