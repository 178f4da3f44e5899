/**
 * A variables file (`vars_files`, a role's `defaults/` and `vars/`,
 * `include_vars`): YAML holding a mapping.
 */
import { InputError } from "../errors.ts";
import { loadYamlFile } from "./yaml.ts";
import type { Vars } from "../vars.ts";

/**
 * Read a variables file: its mapping, `{}` when empty, or an InputError naming file, line and column.
 *
 * @example
 * loadVarsFile("vars/prod.yaml") // { replicas: 3 }
 */
export function loadVarsFile(file: string): Vars {
  const doc = loadYamlFile<unknown>(file);
  if (doc.value === null || doc.value === undefined) return {};
  if (typeof doc.value !== "object" || Array.isArray(doc.value)) throw new InputError("a vars file must hold a mapping", doc.at([]));
  return doc.value as Vars;
}
