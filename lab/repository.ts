/**
 * The repository the lab's code belongs to — where `lab/`, `inventories/`
 * and `playbooks/` are — found upwards from this module, so the same code
 * works from its TypeScript source and from `dist/`.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The repository's root directory.
 *
 * @example
 * join(repositoryRoot(), "inventories", "prod") // "/work/main/inventories/prod"
 */
export function repositoryRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "lab", "microk8s")) && existsSync(join(dir, "inventories", "prod"))) return dir;
  }
  throw new Error("the repository (lab/microk8s, inventories/prod) not found above this module");
}
