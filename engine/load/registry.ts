/**
 * Finds modules by file: every `*.js` (or, under Deno, `*.ts`) file in the
 * built-in `modules/` directory and in user directories is a module whose
 * default export satisfies the module contract. The engine never names one.
 *
 * Built-in modules are imported only when a playbook uses them: the build
 * writes what the loader needs to know of each (name, aliases, schema, …)
 * to `modules/manifest.json` beside them (see precompile.ts), so a run
 * starts without importing every module and the facts they read.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, dirname, extname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Module } from "../module.ts";
import { InputError, didYouMean } from "../errors.ts";
import { checkSchema } from "./validate.ts";

const here = dirname(fileURLToPath(import.meta.url));
/** Built-in modules sit beside the engine: `modules/` in source, `dist/modules/` when built. */
export const BUILTIN_MODULES_DIR = join(here, "..", "..", "modules");
/** Written by the build: a ModuleInfo per built-in module. */
export const MANIFEST = join(BUILTIN_MODULES_DIR, "manifest.json");
const ownExtension = extname(fileURLToPath(import.meta.url));

/** Collection prefixes users write (`ansible.builtin.file`) are accepted and dropped. */
export function shortName(name: string): string {
  return name.replace(/^[a-z0-9_]+\.[a-z0-9_]+\.(?=[a-z0-9_]+$)/, "");
}

/**
 * What the loader knows of a module without importing it.
 *
 * @example
 * const info: ModuleInfo = { name: "file", file: "/opt/hoist/dist/modules/file.js", schema: { type: "object" }, hasValidate: false };
 */
export interface ModuleInfo extends Pick<Module, "name" | "aliases" | "schema" | "freeForm" | "gathersFacts"> {
  file: string;
  /** The module has a `check`: arguments are checked once it is imported (`ModuleRegistry.load`). */
  hasValidate: boolean;
}

/** A module's info, from the module itself. */
export const infoOf = (m: Module, file: string): ModuleInfo => ({
  name: m.name,
  aliases: m.aliases,
  schema: m.schema,
  freeForm: m.freeForm,
  gathersFacts: m.gathersFacts,
  hasValidate: typeof m.validate === "function",
  file,
});

/**
 * The modules a run knows, by name and alias: built-in ones and those of `--modules` directories,
 * imported only when used.
 */
export class ModuleRegistry {
  private readonly byName = new Map<string, ModuleInfo>();
  private readonly loaded = new Map<string, Module>();

  constructor(infos: ModuleInfo[], modules: Module[] = []) {
    for (const i of infos) for (const n of [i.name, ...(i.aliases ?? [])]) this.byName.set(n, i);
    for (const m of modules) this.loaded.set(m.name, m);
  }

  /** What is known of a module, by any of its names. */
  get(name: string): ModuleInfo | undefined {
    return this.byName.get(shortName(name));
  }

  /** The imported module; a misspelt name throws with the nearest real one. Only after `load`. */
  require(name: string): Module {
    const info = this.get(name);
    if (!info) throw new InputError(`unknown module '${name}'${didYouMean(shortName(name), this.names())}`);
    const m = this.loaded.get(info.name);
    if (!m) throw new Error(`module '${info.name}' is not loaded yet`);
    return m;
  }

  /** Import the named modules (those not imported yet). */
  async load(names: Iterable<string>): Promise<Module[]> {
    const infos = [...new Set([...names].map((n) => this.get(n)).filter((i): i is ModuleInfo => i !== undefined))];
    await Promise.all(
      infos
        .filter((i) => !this.loaded.has(i.name))
        .map(async (i) => {
          this.loaded.set(i.name, await importModule(i.file));
        }),
    );
    return infos.map((i) => this.loaded.get(i.name)!);
  }

  /** Every module, imported (`hoist modules`, the build). */
  loadAll(): Promise<Module[]> {
    return this.load(this.infos().map((i) => i.name));
  }

  /** Every module's info, one per module. */
  infos(): ModuleInfo[] {
    return [...new Set(this.byName.values())];
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

async function importModule(file: string): Promise<Module> {
  const mod = (await import(pathToFileURL(file).href)).default as Module | undefined;
  if (!mod || typeof mod.plan !== "function" || typeof mod.name !== "string" || !mod.schema) {
    throw new InputError("not a hoist module: its default export needs name, schema and plan()", { file });
  }
  return mod;
}

/** The built-in modules' infos from the manifest the build wrote, when it is there and matches this tree. */
function builtinManifest(files: string[]): ModuleInfo[] | undefined {
  if (ownExtension === ".ts" || !existsSync(MANIFEST)) return undefined;
  const entries = JSON.parse(readFileSync(MANIFEST, "utf8")) as (Omit<ModuleInfo, "file"> & { file: string })[];
  const names = entries.map((e) => join(BUILTIN_MODULES_DIR, e.file));
  if (names.length !== files.length || names.some((f, i) => f !== files[i])) return undefined;
  return entries.map((e) => ({ ...e, file: join(BUILTIN_MODULES_DIR, e.file) }));
}

/**
 * The built-in modules and those in `extraDirs` (later directories win on
 * equal names, so a user can override a built-in). Built-ins are imported
 * when used; a user's modules at once (their schemas are checked here).
 *
 * @example
 * const registry = await loadModules(["./my-modules"]);
 * await registry.load(["file"]);
 */
export async function loadModules(extraDirs: string[] = []): Promise<ModuleRegistry> {
  const builtinFiles = moduleFiles(BUILTIN_MODULES_DIR);
  const builtin = builtinManifest(builtinFiles);
  const eagerFiles = [...(builtin ? [] : builtinFiles), ...extraDirs.map((d) => resolve(d)).flatMap(moduleFiles)];
  const eager = await Promise.all(eagerFiles.map(async (file) => ({ file, module: await importModule(file) })));
  for (const { file, module } of eager) if (!builtinFiles.includes(file)) checkSchema(module.schema, file);
  const infos = new Map<string, ModuleInfo>();
  for (const i of [...(builtin ?? []), ...eager.map((e) => infoOf(e.module, e.file))]) infos.set(i.name, i);
  return new ModuleRegistry(
    [...infos.values()],
    eager.map((e) => e.module),
  );
}
