/**
 * Finds modules by file: every `*.js` (or, under Deno, `*.ts`) file in the
 * built-in `modules/` directory and in user directories is a module whose
 * default export satisfies the module contract. The engine never names one.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, dirname, extname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Module } from "../module.ts";
import { InputError, didYouMean } from "../errors.ts";
import { checkSchema } from "./validate.ts";

const here = dirname(fileURLToPath(import.meta.url));
/** Built-in modules sit beside the engine: `modules/` in source, `dist/modules/` when built. */
export const BUILTIN_MODULES_DIR = join(here, "..", "..", "modules");
const ownExtension = extname(fileURLToPath(import.meta.url));

/** Collection prefixes users write (`ansible.builtin.file`) are accepted and dropped. */
export function shortName(name: string): string {
  return name.replace(/^[a-z0-9_]+\.[a-z0-9_]+\.(?=[a-z0-9_]+$)/, "");
}

export class ModuleRegistry {
  private byName = new Map<string, Module>();
  constructor(readonly modules: Module[]) {
    for (const m of modules) {
      this.byName.set(m.name, m);
      for (const a of m.aliases ?? []) this.byName.set(a, m);
    }
  }
  get(name: string): Module | undefined {
    return this.byName.get(shortName(name));
  }
  /** Like `get`, but a misspelt name throws with the nearest real one. */
  require(name: string): Module {
    const m = this.get(name);
    if (!m) throw new InputError(`unknown module '${name}'${didYouMean(shortName(name), this.names())}`);
    return m;
  }
  names(): string[] {
    return [...this.byName.keys()].sort();
  }
}

function moduleFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new InputError(`module directory not found`, { file: dir });
  const extensions = ownExtension === ".ts" ? [".ts", ".js", ".mjs"] : [".js", ".mjs"];
  return readdirSync(dir)
    .filter((f) => extensions.includes(extname(f)) && !f.endsWith(".d.ts") && !f.startsWith("_"))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Load the built-in modules and those in `extraDirs` (later directories win
 * on equal names, so a user can override a built-in).
 *
 * @example
 * const registry = await loadModules(["./my-modules"]);
 */
export async function loadModules(extraDirs: string[] = []): Promise<ModuleRegistry> {
  const builtin = moduleFiles(BUILTIN_MODULES_DIR);
  const files = [...builtin, ...extraDirs.map((d) => resolve(d)).flatMap(moduleFiles)];
  const loaded = await Promise.all(
    files.map(async (file, i) => {
      const mod = (await import(pathToFileURL(file).href)).default as Module | undefined;
      if (!mod || typeof mod.plan !== "function" || typeof mod.name !== "string" || !mod.schema) {
        throw new InputError("not a hoist module: its default export needs name, schema and plan()", { file });
      }
      if (i >= builtin.length) checkSchema(mod.schema, file);
      return mod;
    }),
  );
  const unique = new Map<string, Module>();
  for (const m of loaded) unique.set(m.name, m);
  return new ModuleRegistry([...unique.values()]);
}
