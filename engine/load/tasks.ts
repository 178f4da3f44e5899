/**
 * Tasks as the loader reads them: module calls with their keywords, blocks,
 * `include_tasks`/`import_tasks` and `include_role`/`import_role`, each
 * validated (module name, arguments, keywords) before anything runs, each
 * remembering file, line and column.
 */
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { InputError, didYouMean, type Where } from "../errors.ts";
import { loadYamlFile, type Located, type Path } from "./yaml.ts";
import { validateSchema } from "./validate.ts";
import { convertArguments } from "./ansible-arguments.ts";
import { isAnsibleModule } from "./ansible-modules.ts";
import { LOOKUPS } from "../template/lookups.ts";
import { shortName, type ModuleRegistry } from "./registry.ts";
import { containsTemplate } from "../template/template.ts";
import { expandRole, type RolesContext } from "./roles.ts";
import type { IncludeChoices, Role, Task } from "./shapes.ts";
import type { Vars } from "../vars.ts";

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
  "throttle",
  "delegate_to",
  "delegate_facts",
  "block",
  "rescue",
  "always",
  "include_tasks",
  "import_tasks",
  "include_role",
  "import_role",
  "vars",
  "args",
  "no_log",
  "timeout",
  "meta",
  "environment",
];

/** `include_tasks: file.yml`, or Ansible's long form `{ file: file.yml, apply: { tags, become, … } }` (apply for include_tasks only). */
function includeSchema(dynamic: boolean) {
  return {
    anyOf: [
      { type: "string", minLength: 1 },
      {
        type: "object",
        properties: {
          file: { type: "string", minLength: 1 },
          ...(dynamic
            ? { apply: { type: "object", properties: { tags: {}, become: {}, become_user: {}, when: {}, vars: {} }, additionalProperties: false } }
            : {}),
        },
        required: ["file"],
        additionalProperties: false,
      },
    ],
  };
}

/** Ansible's meta actions; `end_role` and `role_complete` load, and fail on a host that reaches them. */
export const META_ACTIONS = [
  "noop",
  "flush_handlers",
  "end_host",
  "end_play",
  "end_batch",
  "clear_facts",
  "clear_host_errors",
  "refresh_inventory",
  "reset_connection",
  "end_role",
  "role_complete",
] as const;

function roleArgsSchema() {
  return {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1 },
      tasks_from: { type: "string" },
      vars_from: { type: "string" },
      defaults_from: { type: "string" },
      handlers_from: { type: "string" },
      apply: { type: "object", properties: { tags: {}, become: {}, become_user: {}, vars: {} }, additionalProperties: false },
      public: { type: "boolean" },
      allow_duplicates: { type: "boolean" },
      rolespec_validate: { type: "boolean" },
    },
    required: ["name"],
    additionalProperties: false,
  };
}

/**
 * The JSON Schema of a task's keywords (Ansible's), with the nearest valid name for a typo.
 */
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
    throttle: { type: "integer", minimum: 1 },
    delegate_to: { type: "string" },
    delegate_facts: { type: "boolean" },
    block: { type: "array" },
    rescue: { type: "array" },
    always: { type: "array" },
    include_tasks: includeSchema(true),
    import_tasks: includeSchema(false),
    include_role: roleArgsSchema(),
    import_role: roleArgsSchema(),
    vars: { type: ["object", "null"] },
    args: { type: "object" },
    no_log: { type: "boolean" },
    timeout: { type: "integer", minimum: 1 },
    meta: { enum: [...META_ACTIONS] },
    environment: { type: ["object", "string"] },
  },
};

const asList = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/** What reading a play's tasks shares. */
export interface LoadContext {
  registry: ModuleRegistry;
  /** Include chain, to refuse include cycles. */
  including: string[];
  roles: RolesContext;
  /** The role whose files are being read. */
  role?: Role;
  /** `environment:` of the enclosing play and blocks, which each task's own extends. */
  environment?: unknown;
  /** Modules the tasks use, and the argument checks to run once they are imported (see playbook.ts). */
  used: { modules: Set<string>; checks: PendingCheck[] };
}

/** A module's `check` of template-free arguments, run once the module is imported. */
export interface PendingCheck {
  module: string;
  args: unknown;
  where: Where;
  /** The directory of the task's role: where its `vars/` are. */
  roleDir?: string;
}

/** Keywords that hold tasks rather than call a module, with their collection names (`ansible.builtin.import_role`). */
const STRUCTURAL = ["block", "include_tasks", "import_tasks", "include_role", "import_role", "meta"];

/** A task's keys with `ansible.builtin.`/`ansible.legacy.` dropped from structural keywords. */
function normalizeKeys(t: Vars): { task: Vars; original: Map<string, string> } {
  const task: Vars = {};
  const original = new Map<string, string>();
  for (const [k, v] of Object.entries(t)) {
    const name = STRUCTURAL.includes(shortName(k)) ? shortName(k) : k;
    task[name] = v;
    original.set(name, k);
  }
  return { task, original };
}

/**
 * Ansible's `key=value key2="v 2"` words (its `parse_kv`): split on spaces, except inside quotes and
 * inside `{{ }}`, `{% %}` and `{# #}`, so that `name={{ x | default('a b') }}` stays one word.
 */
export function keyValueWords(text: string): string[] {
  const words: string[] = [];
  let current = "";
  let quote: string | null = null;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const pair = text.slice(i, i + 2);
    if (quote) {
      if (c === "\\" && i + 1 < text.length) current += text[++i];
      else if (c === quote) quote = null;
      else current += c;
    } else if (depth === 0 && (c === "'" || c === '"')) quote = c;
    else if (pair === "{{" || pair === "{%" || pair === "{#") {
      depth++;
      current += pair;
      i++;
    } else if (depth > 0 && (pair === "}}" || pair === "%}" || pair === "#}")) {
      depth--;
      current += pair;
      i++;
    } else if (depth === 0 && /\s/.test(c)) {
      if (current) words.push(current);
      current = "";
    } else current += c;
  }
  if (quote) throw new Error(`unterminated ${quote} quote in: ${text}`);
  if (current) words.push(current);
  return words;
}

/**
 * A task's environment over its blocks' and play's: mappings merge key by key; a template (a whole
 * mapping from a variable) replaces what it is over, as nothing can merge it before it renders.
 */
function mergeEnvironment(outer: unknown, own: unknown): unknown {
  if (own === undefined) return outer;
  if (outer && typeof outer === "object" && own && typeof own === "object") return { ...(outer as Vars), ...(own as Vars) };
  return own;
}

/**
 * A free-form string (`command: iptables -F creates=/etc/firewall.bash`): as Ansible's command does,
 * `key=value` words naming the module's own arguments are taken out as arguments, the rest is the command.
 */
function freeFormArgs(text: string, freeForm: string, props: string[]): Vars {
  const args: Vars = {};
  const known = props.filter((p) => p !== freeForm).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const rest = known.length
    ? text.replace(new RegExp(`(^|\\s)(${known.join("|")})=("[^"]*"|'[^']*'|\\S+)(?=\\s|$)`, "g"), (_m, _lead: string, key: string, value: string) => {
        args[key] = /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
        return "";
      })
    : text;
  return { [freeForm]: rest.trim(), ...args };
}

/** Ansible's `key=value key2="v 2"` argument strings. */
function keyValueArgs(text: string, where: Where): Vars {
  const args: Vars = {};
  let words: string[];
  try {
    words = keyValueWords(text);
  } catch (e) {
    throw new InputError((e as Error).message, where);
  }
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq < 1) throw new InputError(`expected key=value arguments, got '${word}'`, where);
    args[word.slice(0, eq)] = word.slice(eq + 1);
  }
  return args;
}

function parseTask(raw: unknown, doc: Located, path: Path, ctx: LoadContext, inherited: string[]): Task {
  const where = doc.at(path);
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new InputError("a task must be a mapping", where);
  const { task: normalized, original } = normalizeKeys(raw as Vars);
  // Keywords as Ansible reads them: `become: yes` is true, `name: off` (a YAML 1.1 boolean) the name "False".
  const t = convertArguments(taskKeywordSchema, normalized);
  validateSchema(taskKeywordSchema, t, { located: doc, basePath: path, what: "task", allowTemplates: true });
  // `with_<lookup>`: Ansible's loops over a lookup's answer (with_items, with_first_found, with_dict…).
  const withKeys = Object.keys(t).filter((k) => /^with_([a-z0-9_]+\.[a-z0-9_]+\.)?[a-z_]+$/.test(k) && k !== "with_items");
  const lookupOf = (k: string) => k.slice("with_".length).replace(/^(ansible\.builtin|community\.general)\./, "");
  for (const k of withKeys) {
    const lookupName = lookupOf(k);
    if (!LOOKUPS.includes(lookupName))
      throw new InputError(
        `unknown loop '${k}'${didYouMean(
          k,
          LOOKUPS.map((l) => `with_${l}`),
        )}`,
        doc.at([...path, original.get(k) ?? k]),
      );
  }
  const loopKeys = ["loop", "with_items", ...withKeys].filter((k) => t[k] !== undefined);
  if (loopKeys.length > 1) throw new InputError(`a task takes one loop, found: ${loopKeys.join(", ")}`, where);
  const moduleKeys = Object.keys(t).filter((k) => !TASK_KEYWORDS.includes(k) && !withKeys.includes(k));
  const structural = STRUCTURAL.filter((k) => k in t);
  for (const k of moduleKeys) {
    if (!ctx.registry.get(k) && !isAnsibleModule(k)) {
      const hint = didYouMean(k, [...TASK_KEYWORDS, ...ctx.registry.names()]);
      throw new InputError(`unknown module or task keyword '${k}'${hint}`, doc.at([...path, k]));
    }
  }
  if (moduleKeys.length + structural.length !== 1) {
    const found = [...moduleKeys, ...structural];
    throw new InputError(
      found.length ? `a task takes exactly one module (or block, include_tasks, import_role…), found: ${found.join(", ")}` : "task names no module",
      where,
    );
  }
  if (loopKeys.length) {
    const staticKey = ["block", "import_tasks", "import_role"].find((k) => k in t);
    if (staticKey)
      throw new InputError(
        `${staticKey} cannot loop (it is static); use ${staticKey === "block" ? "include_tasks" : staticKey.replace("import", "include")}`,
        where,
      );
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
    loop: t.loop ?? t.with_items ?? (withKeys.length ? t[withKeys[0]] : undefined),
    loopLookup: t.with_items !== undefined ? "items" : withKeys.length ? lookupOf(withKeys[0]) : undefined,
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
    throttle: t.throttle as number | undefined,
    delegateTo: t.delegate_to as string | undefined,
    vars: (t.vars as Vars) ?? {},
    noLog: t.no_log as boolean | undefined,
    timeout: t.timeout as number | undefined,
    role: ctx.role,
    delegateFacts: t.delegate_facts as boolean | undefined,
    environment: mergeEnvironment(ctx.environment, t.environment),
  };
  if (task.until !== undefined && task.retries === undefined) task.retries = 3;
  const includeArg = (t.include_tasks ?? t.import_tasks) as string | { file: string; apply?: Vars } | undefined;
  if (includeArg !== undefined) {
    const key = t.include_tasks !== undefined ? "include_tasks" : "import_tasks";
    const include = typeof includeArg === "string" ? includeArg : includeArg.file;
    const apply = typeof includeArg === "string" ? undefined : includeArg.apply;
    const from = doc.at([...path, original.get(key)!]);
    const applied = apply?.tags === undefined ? tags : [...tags, ...asList(apply.tags)];
    task.dynamic = key === "include_tasks";
    task.name = (t.name as string) ?? `${key} ${include}`;
    if (apply) {
      task.become = (apply.become as boolean | undefined) ?? task.become;
      task.becomeUser = (apply.become_user as string | undefined) ?? task.becomeUser;
      task.vars = { ...task.vars, ...((apply.vars as Vars) ?? {}) };
    }
    if (include.includes("{{")) {
      // Which file is decided on the host (`setup-{{ ansible_os_family }}.yml`): every file the name can give is loaded and
      // validated now, so that a typo in any of them stops the run before a host is touched.
      task.dynamic = true;
      task.includeChoices = includeChoices(include, dirname(doc.file), { ...ctx, environment: task.environment }, applied, from);
      task.block = [];
      return task;
    }
    task.block = loadTaskFile(includedFile(include, dirname(doc.file), ctx.role), { ...ctx, environment: task.environment }, applied, from);
    return task;
  }
  const roleKey = (["include_role", "import_role"] as const).find((k) => k in t);
  if (roleKey) {
    task.name = (t.name as string) ?? "";
    return roleTask(task, t[roleKey] as Vars, roleKey, doc.at([...path, original.get(roleKey)!]), ctx);
  }
  if (t.meta !== undefined) {
    task.meta = String(t.meta);
    task.name = (t.name as string) ?? `meta: ${task.meta}`;
    return task;
  }
  if (t.block !== undefined) {
    const inner = { ...ctx, environment: task.environment };
    task.block = parseTaskList(t.block, doc, [...path, "block"], inner, tags);
    task.rescue = parseTaskList(t.rescue ?? [], doc, [...path, "rescue"], inner, tags);
    task.always = parseTaskList(t.always ?? [], doc, [...path, "always"], inner, tags);
    task.name = (t.name as string) ?? "block";
    return task;
  }
  const key = moduleKeys[0];
  const module = ctx.registry.get(key);
  if (!module) {
    // An Ansible module hoist does not have: loaded, and failed on a host only if one reaches it.
    task.unimplemented = key;
    task.args = t[key];
    task.name = (t.name as string) ?? key;
    return task;
  }
  ctx.used.modules.add(module.name);
  let args = t[key];
  if (typeof args === "string") {
    const props = Object.keys((module.schema.properties as object) ?? {});
    const firstKey = /^(\w+)=/.exec(args as string)?.[1];
    const isKeyValue = firstKey !== undefined && props.includes(firstKey);
    args = module.freeForm && !isKeyValue ? freeFormArgs(args as string, module.freeForm, props) : keyValueArgs(args as string, doc.at([...path, key]));
  }
  try {
    args = convertArguments(module.schema, { ...((args as Vars) ?? {}), ...((t.args as Vars) ?? {}) });
  } catch (e) {
    throw new InputError(`module '${module.name}': ${(e as Error).message}`, doc.at([...path, key]));
  }
  validateSchema(module.schema, structuredClone(args), {
    located: doc,
    basePath: typeof t[key] === "object" && t[key] !== null ? [...path, key] : [...path],
    what: `module '${module.name}'`,
    allowTemplates: true,
  });
  if (module.hasValidate && !containsTemplate(args)) ctx.used.checks.push({ module: module.name, args, where: doc.at([...path, key]), roleDir: ctx.role?.dir });
  task.module = module.name;
  task.args = args;
  task.name = (t.name as string) ?? `${module.name}`;
  return task;
}

/** `import_role` (static: its `when` and tags pass to every task) or `include_role` (decided when reached, may loop). */
function roleTask(task: Task, args: Vars, key: "include_role" | "import_role", where: Where, ctx: LoadContext): Task {
  const name = args.name as string;
  if (name.includes("{{")) throw new InputError(`${key} needs a role name without templates, so the role can be validated before the run`, where);
  // `apply:` gives the role's tasks these keywords, as an enclosing block would.
  const apply = (args.apply ?? {}) as Vars;
  if (apply.become !== undefined) task = { ...task, become: apply.become as boolean };
  if (apply.become_user !== undefined) task = { ...task, becomeUser: apply.become_user as string };
  if (apply.vars) task = { ...task, vars: { ...task.vars, ...(apply.vars as Vars) } };
  if (apply.tags !== undefined) task = { ...task, tags: [...task.tags, ...asList(apply.tags)] };
  const block = expandRole(
    {
      name,
      where,
      params: task.vars,
      tags: [],
      tasksFrom: args.tasks_from as string | undefined,
      varsFrom: args.vars_from as string | undefined,
      defaultsFrom: args.defaults_from as string | undefined,
      handlersFrom: args.handlers_from as string | undefined,
      once: false,
    },
    ctx.roles,
    roleTaskParser({ ...ctx, environment: task.environment }),
    task.tags,
  )!;
  return { ...task, name: task.name || `${key} ${name}`, block: block.block, rescue: [], always: [], role: block.role, dynamic: key === "include_role" };
}

/** How a role's task files are read: as an include from the role, its tasks owned by it. */
export function roleTaskParser(ctx: LoadContext): (file: string, role: Role, tags: string[]) => Task[] {
  return (file, role, tags) => loadTaskFile(file, { ...ctx, role }, tags, { file });
}

/**
 * Load a list of tasks (blocks, includes and imports included) from a parsed YAML document; bad
 * input throws with file:line:col.
 */
export function parseTaskList(raw: unknown, doc: Located, path: Path, ctx: LoadContext, tags: string[]): Task[] {
  if (raw === null || raw === undefined) return [];
  if (!Array.isArray(raw)) throw new InputError("expected a list of tasks", doc.at(path));
  return raw.map((t, i) => parseTask(t, doc, [...path, i], ctx, tags));
}

/**
 * Where an included file is, as Ansible looks (`path_dwim_relative`): beside the including file,
 * then in its role's tasks/, then in the role itself (`include_tasks: tasks/restart.yml` from handlers/).
 */
function includedFile(include: string, dir: string, role: Role | undefined): string {
  const candidates = [resolve(dir, include), ...(role ? [resolve(role.dir, "tasks", include), resolve(role.dir, include)] : [])];
  return candidates.find((f) => existsSync(f)) ?? candidates[0];
}

/** The files a templated include name can resolve to (only its file name may be templated), each loaded. */
function includeChoices(template: string, dir: string, ctx: LoadContext, tags: string[], from: Where): IncludeChoices {
  const slash = template.lastIndexOf("/");
  const folder = slash < 0 ? "" : template.slice(0, slash);
  if (folder.includes("{{"))
    throw new InputError(`only the file name of an include may be templated, so its candidates can be validated before the run: ${template}`, from);
  const where = resolve(dir, folder);
  const base = template.slice(slash + 1);
  const glob = new RegExp(
    `^${base
      .split(/\{\{[\s\S]*?\}\}/)
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  const files = new Map<string, Task[]>();
  // A name that is all template (`{{ item }}` from with_first_found) matches every file there: YAML files only, and not the ones
  // including it.
  for (const f of existsSync(where) ? readdirSync(where).sort() : []) {
    const file = join(where, f);
    if (glob.test(f) && /\.ya?ml$/.test(f) && !ctx.including.includes(file)) files.set(file, loadTaskFile(file, ctx, tags, from));
  }
  return { template, dir, files };
}

function loadTaskFile(file: string, ctx: LoadContext, tags: string[], from: Where): Task[] {
  if (!existsSync(file)) throw new InputError(`included file not found: ${file}`, from);
  if (ctx.including.includes(file)) throw new InputError(`include cycle: ${[...ctx.including, file].join(" -> ")}`, from);
  const doc = loadYamlFile(file);
  return parseTaskList(doc.value, doc, [], { ...ctx, including: [...ctx.including, file] }, tags);
}

/** Every task inside a list, blocks included, depth first. */
export function* walkTasks(tasks: Task[]): Generator<Task> {
  for (const t of tasks) {
    yield t;
    for (const inner of [t.block, t.rescue, t.always, ...(t.includeChoices?.files.values() ?? [])]) if (inner) yield* walkTasks(inner);
  }
}
