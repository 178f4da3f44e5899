/**
 * Loads and validates playbooks before anything runs: structure (ajv), module
 * names and arguments, roles, `notify` targets, `id`/`needs` references and
 * cycles. Every error names file, line and column, and the nearest valid name.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InputError, didYouMean } from "../errors.ts";
import { loadYamlFile, type Located } from "./yaml.ts";
import { validateSchema } from "./validate.ts";
import type { ModuleRegistry } from "./registry.ts";
import { findCycle } from "../graph/graph.ts";
import { loadVarsFile } from "./vars-file.ts";
import { findControlFile } from "./control-files.ts";
import type { ValidateContext } from "../module.ts";
import { parseTaskList, roleTaskParser, walkTasks, type LoadContext, type PendingCheck } from "./tasks.ts";
import type { Play, Task } from "./shapes.ts";
import type { Vars } from "../vars.ts";
import { DEFAULT_ROLES_PATH, expandRole, parseRoleEntry, roleSearchPath } from "./roles.ts";
import { factsRead } from "./uses-facts.ts";

export type { Play, Task } from "./shapes.ts";
export { walkTasks } from "./tasks.ts";

/**
 * The JSON Schema of a play's keywords (Ansible's), with the nearest valid name for a typo.
 */
export const playSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    hosts: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    vars: { type: ["object", "null"] },
    vars_files: { type: "array", items: { type: "string" } },
    become: { type: "boolean" },
    become_user: { type: "string" },
    environment: { type: ["object", "string"] },
    gather_facts: { type: "boolean" },
    gather_subset: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    roles: { type: ["array", "null"] },
    tasks: { type: ["array", "null"] },
    pre_tasks: { type: ["array", "null"] },
    post_tasks: { type: ["array", "null"] },
    handlers: { type: ["array", "null"] },
    serial: { anyOf: [{ type: ["integer", "string"] }, { type: "array", items: { type: ["integer", "string"] } }] },
    max_fail_percentage: { type: "number", minimum: 0, maximum: 100 },
    tags: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    secret: {
      type: "array",
      items: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
      description: "Variables whose values are hidden wherever they would appear in output.",
    },
  },
  required: ["hosts"],
  additionalProperties: false,
};

const asList = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** Split `id@pattern` into its parts; a bare id refers to the same host. */
export function parseNeed(need: string): { id: string; pattern?: string } {
  const at = need.indexOf("@");
  return at < 0 ? { id: need } : { id: need.slice(0, at), pattern: need.slice(at + 1) };
}

function checkReferences(play: Play): void {
  const ids = new Map<string, Task>();
  for (const t of walkTasks(play.tasks)) {
    if (!t.id) continue;
    if (ids.has(t.id)) throw new InputError(`duplicate task id '${t.id}' (first at line ${ids.get(t.id)!.where.line})`, t.where);
    ids.set(t.id, t);
  }
  for (const t of play.tasks) {
    for (const need of t.needs ?? []) {
      const { id } = parseNeed(need);
      if (!ids.has(id)) throw new InputError(`needs unknown task id '${id}'${didYouMean(id, ids.keys())}`, t.where);
    }
  }
  for (const t of walkTasks(play.tasks)) {
    if (t.needs && !play.tasks.includes(t)) throw new InputError("needs is only allowed on top-level tasks of a play", t.where);
  }
  const topics = new Set(play.handlers.flatMap((h) => [h.name, ...h.listen]));
  for (const t of [...walkTasks(play.tasks), ...walkTasks(play.handlers)]) {
    for (const n of t.notify) {
      if (!topics.has(n) && !n.includes("{{")) throw new InputError(`notify '${n}' matches no handler${didYouMean(n, topics)}`, t.where);
    }
  }
  checkSameHostCycles(play, ids);
}

/**
 * The same-host ordering graph: each top-level task waits for the one before
 * it unless it says `needs`. Cross-host edges are checked once hosts are known.
 */
function checkSameHostCycles(play: Play, ids: Map<string, Task>): void {
  const index = new Map(play.tasks.map((t, i) => [t, i]));
  const deps = (i: number): number[] => {
    const t = play.tasks[i];
    if (t.needs) return t.needs.map((n) => index.get(topLevelOf(play, ids.get(parseNeed(n).id)!))!).filter((j) => j !== undefined);
    return i > 0 ? [i - 1] : [];
  };
  const cycle = findCycle(
    play.tasks.map((_, i) => i),
    deps,
  );
  if (cycle)
    throw new InputError(
      `task dependencies form a cycle: ${cycle.map((j) => play.tasks[j].id ?? play.tasks[j].name).join(" -> ")}`,
      play.tasks[cycle[0]].where,
    );
}

/** The top-level task that contains `t` (itself when top-level). */
export function topLevelOf(play: Play, t: Task): Task {
  for (const top of play.tasks) for (const inner of walkTasks([top])) if (inner === t) return top;
  return t;
}

function parsePlay(
  raw: unknown,
  doc: Located,
  i: number,
  base: Omit<LoadContext, "roles">,
  rolesPath: string[],
  templateFacts: Map<string, Set<string>>,
): Play {
  const path = [i];
  const ctx: LoadContext = {
    ...base,
    roles: { search: roleSearchPath(dirname(resolve(doc.file)), rolesPath), handlers: [], applied: new Set(), handlersLoaded: new Set(), chain: [] },
  };
  const where = doc.at(path);
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new InputError("a play must be a mapping", where);
  validateSchema(playSchema, raw, { located: doc, basePath: path, what: "play" });
  const p = raw as Vars;
  ctx.environment = p.environment;
  const tags = asList(p.tags);
  const roles = ((p.roles as unknown[] | null) ?? []).map((r, j) => {
    const spec = parseRoleEntry(r, doc, [...path, "roles", j]);
    return expandRole(spec, ctx.roles, roleTaskParser(ctx), tags);
  });
  const tasks = [
    ...parseTaskList(p.pre_tasks, doc, [...path, "pre_tasks"], ctx, tags),
    ...roles.filter((t): t is Task => t !== undefined),
    ...parseTaskList(p.tasks, doc, [...path, "tasks"], ctx, tags),
    ...parseTaskList(p.post_tasks, doc, [...path, "post_tasks"], ctx, tags),
  ];
  const play: Play = {
    name: (p.name as string) ?? String(p.hosts),
    hosts: Array.isArray(p.hosts) ? p.hosts.join(":") : String(p.hosts),
    where,
    file: doc.file,
    vars: (p.vars as Vars) ?? {},
    varsFiles: (p.vars_files as string[]) ?? [],
    loadedVarsFiles: new Map(),
    become: p.become as boolean | undefined,
    becomeUser: p.become_user as string | undefined,
    tasks,
    handlers: [...ctx.roles.handlers, ...parseTaskList(p.handlers, doc, [...path, "handlers"], ctx, tags)],
    serial: p.serial === undefined ? undefined : ((Array.isArray(p.serial) ? p.serial : [p.serial]) as (number | string)[]),
    maxFailPercentage: p.max_fail_percentage as number | undefined,
    tags,
    secret: (p.secret as string[] | undefined) ?? [],
    gatherFacts: p.gather_facts !== false,
    gatherSubset: asList(p.gather_subset ?? "all"),
    factsRead: [],
  };
  const gatherer = ctx.registry.infos().find((m) => m.gathersFacts);
  if (gatherer && p.gather_subset !== undefined)
    validateSchema(gatherer.schema, { gather_subset: p.gather_subset }, { located: doc, basePath: path, what: "play" });
  play.varsFiles.forEach((f, j) => {
    if (f.includes("{{")) return;
    const file = resolve(dirname(doc.file), f);
    if (!existsSync(file)) throw new InputError(`vars file not found: ${f}`, doc.valueAt([...path, "vars_files", j]));
    play.loadedVarsFiles.set(f, loadVarsFile(file));
  });
  checkReferences(play);
  play.factsRead = play.gatherFacts ? factsRead(play, templateFacts) : [];
  return play;
}

/** What loading needs besides the playbook and the modules. */
export interface LoadOptions {
  /** Directories of roles, searched after `roles/` beside the playbook (default: Ansible's). */
  rolesPath?: string[];
}

/**
 * Load and validate a playbook file.
 *
 * @example
 * const plays = loadPlaybook("playbooks/hello.yaml", await loadModules(), { rolesPath: ["/opt/roles"] });
 */
export async function loadPlaybook(file: string, registry: ModuleRegistry, options: LoadOptions = {}): Promise<Play[]> {
  const doc = loadYamlFile(file);
  if (!Array.isArray(doc.value)) throw new InputError("a playbook is a list of plays", doc.at([]));
  const used = { modules: new Set<string>(), checks: [] as PendingCheck[] };
  const ctx = { registry, including: [resolve(file)], used };
  const templateFacts = new Map<string, Set<string>>();
  const plays = doc.value.map((p, i) => parsePlay(p, doc, i, ctx, options.rolesPath ?? DEFAULT_ROLES_PATH, templateFacts));
  // Only the modules the playbook uses are imported; then what the schemas cannot say is checked.
  const gatherer = registry.infos().find((m) => m.gathersFacts);
  if (gatherer && plays.some((p) => p.gatherFacts)) used.modules.add(gatherer.name);
  await registry.load(used.modules);
  for (const c of used.checks) {
    const context: ValidateContext = {
      readVars(path) {
        let found: string;
        try {
          found = findControlFile(path, "vars", c.roleDir, dirname(resolve(file)));
        } catch {
          return undefined; // not there yet: the run finds it, or says it is missing
        }
        return loadVarsFile(found);
      },
    };
    const problem = registry.require(c.module).validate?.(c.args, context);
    if (problem) throw new InputError(`module '${c.module}': ${problem}`, c.where);
  }
  return plays;
}
