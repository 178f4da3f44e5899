/**
 * Roles as Ansible lays them out: a directory found on the roles search path,
 * holding `tasks/ handlers/ defaults/ vars/ meta/ templates/ files/`, each
 * part in `main.yml` (or `main.yaml`, or the file `tasks_from` & co. name).
 * A role becomes a block of tasks (its dependencies' first) whose tasks know
 * their role, for its variables and its files; its handlers join the play's.
 */
import type { EntryPointSpec } from "./argument-spec.ts";
import { existsSync, lstatSync, readdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, isAbsolute, join, resolve } from "node:path";
import { InputError, didYouMean, type Where } from "../errors.ts";
import { loadVarsFile } from "./vars-file.ts";
import { DOCUMENTATION_YAML_SCHEMA, loadYamlFile, type Located, type Path } from "./yaml.ts";
import { validateSchema } from "./validate.ts";
import type { Role, Task } from "./shapes.ts";
import type { Vars } from "../vars.ts";

/** One use of a role: a `roles:` entry, a meta dependency, or an `import_role`/`include_role`. */
export interface RoleSpec {
  name: string;
  where: Where;
  /** Role parameters (`vars:` of the entry, or its other keys): above the role's own variables. */
  params: Vars;
  when?: unknown;
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  tasksFrom?: string;
  varsFrom?: string;
  defaultsFrom?: string;
  handlersFrom?: string;
  /** `roles:` entries and dependencies run once per play for the same parameters, as in Ansible. */
  once: boolean;
}

/** What expanding roles shares across one play. */
export interface RolesContext {
  /** Directories searched for a role by name, in order. */
  search: string[];
  /** Handlers of every role used in the play, once per role. */
  handlers: Task[];
  applied: Set<string>;
  handlersLoaded: Set<string>;
  /** Roles being expanded, outermost first: a dependency cycle names them. */
  chain: string[];
}

/** Reads one of a role's task files, its tasks owned by the role. */
export type TaskFileParser = (file: string, role: Role, tags: string[]) => Task[];

/** Ansible's default `collections_path`. */
const COLLECTIONS_PATH = ["~/.ansible/collections", "/usr/share/ansible/collections"];
const expandHome = (p: string) => (p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : p);

/** Ansible's default `roles_path`. */
export const DEFAULT_ROLES_PATH = ["~/.ansible/roles", "/usr/share/ansible/roles", "/etc/ansible/roles"];

/**
 * Where roles are looked for: `roles/` beside the playbook, the configured
 * `roles_path`, then the playbook's directory itself — Ansible's order.
 *
 * @example
 * roleSearchPath("/srv/site", ["/opt/roles"]) // ["/srv/site/roles", "/opt/roles", "/srv/site"]
 */
export function roleSearchPath(playbookDir: string, rolesPath: string[]): string[] {
  const expanded = rolesPath.map((p) => (p === "~" || p.startsWith("~/") ? join(homedir(), p.slice(1)) : resolve(playbookDir, p)));
  return [join(playbookDir, "roles"), ...expanded, playbookDir];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** Names of the roles a search path holds (directories with tasks/ or meta/), for "did you mean". */
function knownRoles(search: string[]): string[] {
  return search.flatMap((dir) =>
    isDir(dir) ? readdirSync(dir).filter((n) => isDir(join(dir, n, "tasks")) || isDir(join(dir, n, "meta")) || isDir(join(dir, n, "defaults"))) : [],
  );
}

/**
 * The directory of role `name`: a path, or the first search directory holding it.
 *
 * @example
 * findRole("common", ["/srv/site/roles"], where) // "/srv/site/roles/common"
 */
export function findRole(name: string, search: string[], where: Where): string {
  if (isAbsolute(name)) {
    if (isDir(name)) return name;
    throw new InputError(`role not found: ${name}`, where);
  }
  for (const dir of search) if (isDir(join(dir, name))) return join(dir, name);
  const qualified = /^([a-z0-9_]+)\.([a-z0-9_]+)\.([a-z0-9_]+)$/.exec(name);
  if (qualified) {
    // A collection's role (`prometheus.prometheus._common`): where ansible-galaxy installs collections, else a role of
    // that short name on the roles path (a collection's roles side by side, as its own roles call each other).
    const [, ns, coll, short] = qualified;
    for (const base of [...COLLECTIONS_PATH.map(expandHome), ...search.map((d) => join(d, ".."))]) {
      const dir = join(base, "ansible_collections", ns, coll, "roles", short);
      if (isDir(dir)) return dir;
    }
    for (const dir of search) if (isDir(join(dir, short))) return join(dir, short);
  }
  const collection = qualified ? "; install the collection (ansible-galaxy collection install) or put the role on the roles path" : "";
  throw new InputError(`role '${name}' not found in ${search.join(", ")}${collection}${didYouMean(name, knownRoles(search))}`, where);
}

/**
 * A part of a role (`tasks`, `handlers`, …): `<from>`, `<from>.yml` or `<from>.yaml` in its directory.
 *
 * @example
 * rolePart("/srv/site/roles/common", "tasks") // "/srv/site/roles/common/tasks/main.yml"
 */
export function rolePart(dir: string, part: string, from = "main"): string | undefined {
  for (const name of [from, `${from}.yml`, `${from}.yaml`]) {
    const file = join(dir, part, name);
    if (isFile(file)) return file;
    // Something is there that is no file (a directory, a link in a loop or to nothing): an error, never a silently empty role.
    if (name !== from && lstatSync(file, { throwIfNoEntry: false })) throw new InputError(`${file} is not a file that can be read`, { file });
  }
  return undefined;
}

/** A part named by `tasks_from` & co. must exist; `main` may be absent. */
function requiredPart(dir: string, part: string, from: string | undefined, where: Where): string | undefined {
  const file = rolePart(dir, part, from);
  if (!file && from !== undefined) throw new InputError(`role ${basename(dir)} has no ${part}/${from}(.yml|.yaml)`, where);
  return file;
}

const ENTRY_KEYWORDS = ["role", "name", "vars", "tags", "when", "become", "become_user"];

/**
 * The JSON Schema of an entry under a play's `roles:`.
 */
export const roleEntrySchema = {
  type: "object",
  properties: {
    role: { type: "string", minLength: 1 },
    name: { type: "string", minLength: 1 },
    vars: { type: ["object", "null"] },
    tags: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    become: { type: "boolean" },
    become_user: { type: "string" },
  },
};

const asList = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * A `roles:` entry or a meta dependency: a name, or a mapping with `role`
 * (or `name`), `vars`, `tags`, `when`, `become`; other keys are role
 * parameters, as Ansible's older form has them.
 *
 * @example
 * parseRoleEntry({ role: "ntp", vars: { servers: ["a"] }, tags: ["time"] }, doc, [0, "roles", 0]).params // { servers: ["a"] }
 */
export function parseRoleEntry(raw: unknown, doc: Located, path: Path): RoleSpec {
  const where = doc.at(path);
  if (typeof raw === "string") return { name: checkedName(raw, where), where, params: {}, tags: [], once: true };
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new InputError("a role entry is a role name or a mapping with 'role'", where);
  validateSchema(roleEntrySchema, raw, { located: doc, basePath: path, what: "role entry", allowTemplates: true });
  const r = raw as Vars;
  const name = (r.role ?? r.name) as string | undefined;
  if (name === undefined) throw new InputError("a role entry needs 'role' (the role's name)", where);
  const params: Vars = { ...((r.vars as Vars) ?? {}) };
  for (const [k, v] of Object.entries(r)) if (!ENTRY_KEYWORDS.includes(k)) params[k] = v;
  return {
    name: checkedName(name, doc.valueAt([...path, r.role !== undefined ? "role" : "name"])),
    where,
    params,
    when: r.when,
    tags: asList(r.tags),
    become: r.become as boolean | undefined,
    becomeUser: r.become_user as string | undefined,
    once: true,
  };
}

function checkedName(name: string, where: Where): string {
  if (name.includes("{{")) throw new InputError("a role name cannot be a template: roles are read and validated before the run", where);
  return name;
}

/** A role's argument specification, by entry point: meta/argument_specs.yml, else `argument_specs` in meta/main.yml. */
function readArgumentSpecs(dir: string, meta: Vars): { specs: Record<string, EntryPointSpec>; where: Where } | undefined {
  const file = rolePart(dir, "meta", "argument_specs");
  const doc = file ? loadYamlFile<Vars | null>(file, DOCUMENTATION_YAML_SCHEMA) : undefined;
  const specs = doc ? doc.value?.argument_specs : meta.argument_specs;
  if (specs === undefined || specs === null) return undefined;
  const where = doc ? doc.valueAt(["argument_specs"]) : { file: rolePart(dir, "meta")! };
  if (typeof specs !== "object" || Array.isArray(specs)) throw new InputError("argument_specs must map entry points to their options", where);
  for (const [entry, spec] of Object.entries(specs as Vars)) {
    const options = (spec as Vars | null)?.options ?? {};
    if (typeof options !== "object" || Array.isArray(options))
      throw new InputError(`argument_specs.${entry}.options must map option names to their specs`, where);
  }
  return { specs: specs as Record<string, EntryPointSpec>, where };
}

/** A role's meta: its dependencies, whether it may run twice, and its argument specification. */
function readMeta(dir: string): {
  dependencies: RoleSpec[];
  allowDuplicates: boolean;
  argumentSpecs?: { specs: Record<string, EntryPointSpec>; where: Where };
} {
  const file = rolePart(dir, "meta");
  if (!file) return { dependencies: [], allowDuplicates: false, argumentSpecs: readArgumentSpecs(dir, {}) };
  const doc = loadYamlFile<Vars | null>(file);
  const meta = doc.value ?? {};
  if (typeof meta !== "object" || Array.isArray(meta)) throw new InputError("meta/main.yml must hold a mapping", doc.at([]));
  const deps = meta.dependencies ?? [];
  if (!Array.isArray(deps)) throw new InputError("dependencies must be a list of roles", doc.valueAt(["dependencies"]));
  return {
    dependencies: deps.map((d, i) => parseRoleEntry(d, doc, ["dependencies", i])),
    allowDuplicates: meta.allow_duplicates === true,
    argumentSpecs: readArgumentSpecs(dir, meta),
  };
}

/**
 * A role use as a block of tasks: its dependencies' blocks, then its own
 * tasks; undefined when a `roles:` entry or dependency already ran with the
 * same parameters. Its handlers are added to `ctx.handlers` once.
 *
 * @example
 * const block = expandRole(parseRoleEntry("common", doc, [0, "roles", 0]), ctx, parseTaskFile, []);
 */
export function expandRole(spec: RoleSpec, ctx: RolesContext, parse: TaskFileParser, inheritedTags: string[]): Task | undefined {
  const dir = findRole(spec.name, ctx.search, spec.where);
  if (ctx.chain.includes(dir)) throw new InputError(`role dependencies form a cycle: ${[...ctx.chain, dir].map((d) => basename(d)).join(" -> ")}`, spec.where);
  const meta = readMeta(dir);
  const key = JSON.stringify([dir, spec.tasksFrom, spec.params]);
  if (spec.once && !meta.allowDuplicates && ctx.applied.has(key)) return undefined;
  ctx.applied.add(key);
  const defaultsFile = requiredPart(dir, "defaults", spec.defaultsFrom, spec.where);
  const varsFile = requiredPart(dir, "vars", spec.varsFrom, spec.where);
  const role: Role = {
    name: basename(dir),
    dir,
    defaults: defaultsFile ? loadVarsFile(defaultsFile) : {},
    vars: varsFile ? loadVarsFile(varsFile) : {},
  };
  const tags = [...inheritedTags, ...spec.tags];
  const inner = { ...ctx, chain: [...ctx.chain, dir] };
  const dependencies = meta.dependencies.map((d) => expandRole(d, inner, parse, tags)).filter((t): t is Task => t !== undefined);
  const tasksFile = requiredPart(dir, "tasks", spec.tasksFrom, spec.where);
  const handlersFile = requiredPart(dir, "handlers", spec.handlersFrom, spec.where);
  if (handlersFile && !ctx.handlersLoaded.has(handlersFile)) {
    ctx.handlersLoaded.add(handlersFile);
    ctx.handlers.push(...parse(handlersFile, role, tags));
  }
  return {
    name: `role ${role.name}`,
    where: spec.where,
    block: [...dependencies, ...validation(meta.argumentSpecs, spec.tasksFrom ?? "main", role, tags), ...(tasksFile ? parse(tasksFile, role, tags) : [])],
    rescue: [],
    always: [],
    when: spec.when,
    loopVar: "item",
    notify: [],
    listen: [],
    tags,
    become: spec.become,
    becomeUser: spec.becomeUser,
    vars: spec.params,
    role,
  };
}

/**
 * The task Ansible puts first in a role whose spec has the entry point: named as Ansible names it,
 * tagged `always`, checked by the engine (blocks.ts).
 */
function validation(specs: { specs: Record<string, EntryPointSpec>; where: Where } | undefined, entry: string, role: Role, tags: string[]): Task[] {
  const spec = specs?.specs[entry];
  if (!specs || !spec) return [];
  const name = `Validating arguments against arg spec '${entry}'${spec.short_description ? ` - ${spec.short_description}` : ""}`;
  return [
    {
      name,
      where: specs.where,
      argumentSpec: { entry, options: spec.options ?? {} },
      loopVar: "item",
      notify: [],
      listen: [],
      tags: [...tags, "always"],
      vars: {},
      role,
    },
  ];
}
