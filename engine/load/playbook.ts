/**
 * Loads and validates playbooks before anything runs: structure (ajv), module
 * names and arguments, `notify` targets, `id`/`needs` references and cycles.
 * Every error names file, line and column, and the nearest valid name.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { InputError, didYouMean, type Where } from "../errors.ts";
import { loadYamlFile, type Located, type Path } from "./yaml.ts";
import { validateSchema } from "./validate.ts";
import type { ModuleRegistry } from "./registry.ts";
import { splitWords } from "../shell.ts";
import { findCycle } from "../run/graph.ts";
import { containsTemplate } from "../template/template.ts";

export type Vars = Record<string, unknown>;

export interface Task {
  name: string;
  where: Where;
  /** Set for a module call; unset for blocks. */
  module?: string;
  args?: unknown;
  block?: Task[];
  rescue?: Task[];
  always?: Task[];
  id?: string;
  needs?: string[];
  when?: unknown;
  loop?: unknown;
  loopVar: string;
  loopLabel?: string;
  register?: string;
  notify: string[];
  listen: string[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  checkMode?: boolean;
  diff?: boolean;
  changedWhen?: unknown;
  failedWhen?: unknown;
  ignoreErrors?: boolean;
  retries?: number;
  delay?: number;
  until?: unknown;
  runOnce?: boolean;
  delegateTo?: string;
  vars: Vars;
  noLog?: boolean;
}

export interface Play {
  name: string;
  hosts: string;
  where: Where;
  file: string;
  vars: Vars;
  varsFiles: string[];
  /** The `vars_files` named without templates, read (and checked) when the playbook loaded. */
  loadedVarsFiles: Map<string, Vars>;
  become?: boolean;
  becomeUser?: string;
  tasks: Task[];
  handlers: Task[];
  serial?: (number | string)[];
  maxFailPercentage?: number;
  tags: string[];
  /** Variables whose values the output never shows. */
  secret: string[];
}

/** Keys a task may carry besides its module. */
export const TASK_KEYWORDS = [
  "name",
  "id",
  "needs",
  "when",
  "loop",
  "with_items",
  "loop_control",
  "register",
  "notify",
  "listen",
  "tags",
  "become",
  "become_user",
  "check_mode",
  "diff",
  "changed_when",
  "failed_when",
  "ignore_errors",
  "retries",
  "delay",
  "until",
  "run_once",
  "delegate_to",
  "block",
  "rescue",
  "always",
  "include_tasks",
  "import_tasks",
  "vars",
  "args",
  "no_log",
];

export const playSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    hosts: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    vars: { type: ["object", "null"] },
    vars_files: { type: "array", items: { type: "string" } },
    become: { type: "boolean" },
    become_user: { type: "string" },
    gather_facts: { type: "boolean" },
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

export const taskKeywordSchema = {
  type: "object",
  properties: {
    name: { type: "string" },
    id: { type: "string", pattern: "^[A-Za-z0-9_.-]+$" },
    needs: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    loop_control: {
      type: "object",
      properties: { label: { type: "string" }, loop_var: { type: "string" } },
      additionalProperties: false,
    },
    register: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
    notify: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    listen: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    tags: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
    become: { type: "boolean" },
    become_user: { type: "string" },
    check_mode: { type: "boolean" },
    diff: { type: "boolean" },
    ignore_errors: { type: "boolean" },
    retries: { type: "integer", minimum: 0 },
    delay: { type: "number", minimum: 0 },
    run_once: { type: "boolean" },
    delegate_to: { type: "string" },
    block: { type: "array" },
    rescue: { type: "array" },
    always: { type: "array" },
    include_tasks: { type: "string" },
    import_tasks: { type: "string" },
    vars: { type: ["object", "null"] },
    args: { type: "object" },
    no_log: { type: "boolean" },
  },
};

const asList = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

interface LoadContext {
  registry: ModuleRegistry;
  /** Include chain, to refuse include cycles. */
  including: string[];
}

/** Ansible's `key=value key2="v 2"` argument strings. */
function keyValueArgs(text: string, where: Where): Vars {
  const args: Vars = {};
  for (const word of splitWords(text)) {
    const eq = word.indexOf("=");
    if (eq < 1) throw new InputError(`expected key=value arguments, got '${word}'`, where);
    args[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return args;
}

function parseTask(raw: unknown, doc: Located, path: Path, ctx: LoadContext, inherited: string[]): Task {
  const where = doc.at(path);
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new InputError("a task must be a mapping", where);
  const t = raw as Vars;
  validateSchema(taskKeywordSchema, t, { located: doc, basePath: path, what: "task", allowTemplates: true });
  const moduleKeys = Object.keys(t).filter((k) => !TASK_KEYWORDS.includes(k));
  const structural = ["block", "include_tasks", "import_tasks"].filter((k) => k in t);
  for (const k of moduleKeys) {
    if (!ctx.registry.get(k)) {
      const hint = didYouMean(k, [...TASK_KEYWORDS, ...ctx.registry.names()]);
      throw new InputError(`unknown module or task keyword '${k}'${hint}`, doc.at([...path, k]));
    }
  }
  if (moduleKeys.length + structural.length !== 1) {
    const found = [...moduleKeys, ...structural];
    throw new InputError(found.length ? `a task takes exactly one module (or block/include_tasks), found: ${found.join(", ")}` : "task names no module", where);
  }
  for (const k of ["loop", "with_items"] as const) {
    if (t[k] !== undefined && !Array.isArray(t[k]) && typeof t[k] !== "string")
      throw new InputError(`${k} needs a list or a template giving one, got ${JSON.stringify(t[k])}`, doc.valueAt([...path, k]));
    if (typeof t[k] === "string" && !(t[k] as string).includes("{{"))
      throw new InputError(`${k} needs a list or a template giving one, got the string ${JSON.stringify(t[k])}`, doc.valueAt([...path, k]));
  }
  for (const k of ["when", "changed_when", "failed_when", "until"] as const) {
    const v = t[k];
    const ok = (c: unknown) => typeof c === "string" || typeof c === "boolean";
    if (v !== undefined && v !== null && !(ok(v) || (Array.isArray(v) && v.every(ok))))
      throw new InputError(`${k} needs a condition (an expression, a boolean or a list of them), got ${JSON.stringify(v)}`, doc.valueAt([...path, k]));
  }
  const loopControl = (t.loop_control ?? {}) as { label?: string; loop_var?: string };
  const tags = [...inherited, ...asList(t.tags)];
  const task: Task = {
    name: "",
    where,
    id: t.id as string | undefined,
    needs: t.needs === undefined ? undefined : asList(t.needs),
    when: t.when,
    loop: t.loop ?? t.with_items,
    loopVar: loopControl.loop_var ?? "item",
    loopLabel: loopControl.label,
    register: t.register as string | undefined,
    notify: asList(t.notify),
    listen: asList(t.listen),
    tags,
    become: t.become as boolean | undefined,
    becomeUser: t.become_user as string | undefined,
    checkMode: t.check_mode as boolean | undefined,
    diff: t.diff as boolean | undefined,
    changedWhen: t.changed_when,
    failedWhen: t.failed_when,
    ignoreErrors: t.ignore_errors as boolean | undefined,
    retries: t.retries as number | undefined,
    delay: t.delay as number | undefined,
    until: t.until,
    runOnce: t.run_once as boolean | undefined,
    delegateTo: t.delegate_to as string | undefined,
    vars: (t.vars as Vars) ?? {},
    noLog: t.no_log as boolean | undefined,
  };
  if (task.until !== undefined && task.retries === undefined) task.retries = 3;
  const include = (t.include_tasks ?? t.import_tasks) as string | undefined;
  if (include !== undefined) {
    if (task.loop !== undefined) throw new InputError("include_tasks with loop is not supported; loop inside the included file", where);
    if (include.includes("{{")) throw new InputError("include_tasks needs a file name without templates, so it can be validated before the run", where);
    const file = resolve(dirname(doc.file), include);
    task.block = loadTaskFile(file, ctx, tags, doc.at([...path, t.include_tasks !== undefined ? "include_tasks" : "import_tasks"]));
    task.name = (t.name as string) ?? `include ${include}`;
    return task;
  }
  if (t.block !== undefined) {
    task.block = parseTaskList(t.block, doc, [...path, "block"], ctx, tags);
    task.rescue = parseTaskList(t.rescue ?? [], doc, [...path, "rescue"], ctx, tags);
    task.always = parseTaskList(t.always ?? [], doc, [...path, "always"], ctx, tags);
    task.name = (t.name as string) ?? "block";
    return task;
  }
  const key = moduleKeys[0];
  const module = ctx.registry.require(key);
  let args = t[key];
  if (typeof args === "string") {
    const props = Object.keys((module.schema.properties as object) ?? {});
    const firstKey = /^(\w+)=/.exec(args as string)?.[1];
    const isKeyValue = firstKey !== undefined && props.includes(firstKey);
    args = module.freeForm && !isKeyValue ? { [module.freeForm]: args } : keyValueArgs(args as string, doc.at([...path, key]));
  }
  args = { ...((args as Vars) ?? {}), ...((t.args as Vars) ?? {}) };
  validateSchema(module.schema, structuredClone(args), {
    located: doc,
    basePath: typeof t[key] === "object" && t[key] !== null ? [...path, key] : [...path],
    what: `module '${module.name}'`,
    allowTemplates: true,
  });
  const problem = containsTemplate(args) ? undefined : module.check?.(args);
  if (problem) throw new InputError(`module '${module.name}': ${problem}`, doc.at([...path, key]));
  task.module = module.name;
  task.args = args;
  task.name = (t.name as string) ?? `${module.name}`;
  return task;
}

function parseTaskList(raw: unknown, doc: Located, path: Path, ctx: LoadContext, tags: string[]): Task[] {
  if (raw === null || raw === undefined) return [];
  if (!Array.isArray(raw)) throw new InputError("expected a list of tasks", doc.at(path));
  return raw.map((t, i) => parseTask(t, doc, [...path, i], ctx, tags));
}

function loadTaskFile(file: string, ctx: LoadContext, tags: string[], from: Where): Task[] {
  if (!existsSync(file)) throw new InputError(`included file not found: ${file}`, from);
  if (ctx.including.includes(file)) throw new InputError(`include cycle: ${[...ctx.including, file].join(" -> ")}`, from);
  const doc = loadYamlFile(file);
  return parseTaskList(doc.value, doc, [], { ...ctx, including: [...ctx.including, file] }, tags);
}

/**
 * A variables file (`vars_files`): YAML holding a mapping, or an InputError
 * naming file, line and column.
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

/** Every task inside a list, blocks included, depth first. */
export function* walkTasks(tasks: Task[]): Generator<Task> {
  for (const t of tasks) {
    yield t;
    for (const inner of [t.block, t.rescue, t.always]) if (inner) yield* walkTasks(inner);
  }
}

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

function parsePlay(raw: unknown, doc: Located, i: number, ctx: LoadContext): Play {
  const path = [i];
  const where = doc.at(path);
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new InputError("a play must be a mapping", where);
  validateSchema(playSchema, raw, { located: doc, basePath: path, what: "play" });
  const p = raw as Vars;
  const tags = asList(p.tags);
  const tasks = [
    ...parseTaskList(p.pre_tasks, doc, [...path, "pre_tasks"], ctx, tags),
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
    handlers: parseTaskList(p.handlers, doc, [...path, "handlers"], ctx, tags),
    serial: p.serial === undefined ? undefined : ((Array.isArray(p.serial) ? p.serial : [p.serial]) as (number | string)[]),
    maxFailPercentage: p.max_fail_percentage as number | undefined,
    tags,
    secret: (p.secret as string[] | undefined) ?? [],
  };
  play.varsFiles.forEach((f, j) => {
    if (f.includes("{{")) return;
    const file = resolve(dirname(doc.file), f);
    if (!existsSync(file)) throw new InputError(`vars file not found: ${f}`, doc.valueAt([...path, "vars_files", j]));
    play.loadedVarsFiles.set(f, loadVarsFile(file));
  });
  checkReferences(play);
  return play;
}

/**
 * Load and validate a playbook file.
 *
 * @example
 * const plays = loadPlaybook("playbooks/hello.yaml", await loadModules());
 */
export function loadPlaybook(file: string, registry: ModuleRegistry): Play[] {
  const doc = loadYamlFile(file);
  if (!Array.isArray(doc.value)) throw new InputError("a playbook is a list of plays", doc.at([]));
  const ctx: LoadContext = { registry, including: [resolve(file)] };
  return doc.value.map((p, i) => parsePlay(p, doc, i, ctx));
}
