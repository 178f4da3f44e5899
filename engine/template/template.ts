/**
 * `{{ }}` templating through nunjucks (Jinja2 syntax, what Ansible users
 * write), with the filters and tests real playbooks use. A string that is one
 * expression keeps its type (`loop: "{{ groups.web }}"` is a list), as
 * Ansible's native evaluation does. Undefined variables are errors naming the
 * variable.
 */
import nunjucks from "nunjucks";
import * as yaml from "js-yaml";
import { posix } from "node:path";
import { quote } from "../shell.ts";
import { VARIABLES, harden, safeMember } from "./sandbox.ts";
import { unavailableIn, type Unavailable } from "./unavailable.ts";
import { lookup, query } from "./lookups.ts";
import "./jinja-add.ts";
import type { Vars } from "../vars.ts";

/**
 * A template that does not render: the message says where and why; when an
 * undefined variable stopped it, `undefinedName` names it, as data (check
 * mode decides by it whether a registered result not made yet is to blame).
 *
 * @example
 * ```ts
 * import { TemplateError } from "./template.ts";
 * const e = new TemplateError("'x' is undefined in \"{{ x }}\"", { undefinedName: "x" });
 * if (e.undefinedName !== "x") throw new Error("example");
 * ```
 */
export class TemplateError extends Error {
  readonly undefinedName?: string;
  constructor(message: string, options: { undefinedName?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TemplateError";
    this.undefinedName = options.undefinedName;
  }
}

type Kwargs = { __keywords?: boolean; [k: string]: unknown };

// `dev`: nunjucks then keeps what a getter threw as the `cause` of its own error (FactsPending, see unavailable.ts).
const env = harden(new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true, trimBlocks: true, dev: true }));
let captured: unknown;
env.addGlobal("__capture", (v: unknown) => {
  captured = v;
  return "";
});

/** The variables of the render a global function is called from (nunjucks calls globals with the context as `this`). */
const varsOfCall = (context: unknown): Vars => ((context as { ctx?: Vars })?.ctx?.[VARIABLES] as Vars | undefined) ?? {};
const lookupContext = (context: unknown) => ({ vars: varsOfCall(context), renderText: (text: string, vars: Vars) => renderText(text, vars) });
/**
 * `omit`: a module argument rendered to it is left out, as if never written
 * (`channel: "{{ my_channel | default(omit) }}"`). A marker no playbook writes by accident.
 */
export const OMIT = "__omit_place_holder__hoist__";
env.addGlobal("omit", OMIT);
env.addGlobal("lookup", function (this: unknown, name: string, ...args: unknown[]) {
  return lookup(lookupContext(this), String(name), args);
});
for (const name of ["query", "q"])
  env.addGlobal(name, function (this: unknown, lookupName: string, ...args: unknown[]) {
    return query(lookupContext(this), String(lookupName), args);
  });

function attr(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) cur = safeMember(cur, part);
  return cur;
}

function testByName(name: string, value: unknown, arg: unknown): boolean {
  const t = (env as unknown as { getTest(n: string): (v: unknown, a?: unknown) => boolean }).getTest(name);
  return t(value, arg);
}

const resultIs = (key: string) => (r: unknown) => !!(r && typeof r === "object" && (r as Vars)[key]);

const filters: Record<string, (...args: any[]) => unknown> = {
  d: (v: unknown, def: unknown, bool = false) => (v === undefined || (bool && !v) ? def : v),
  mandatory: (v: unknown, msg?: string) => {
    if (v === undefined) throw new TemplateError(msg ?? "mandatory variable is not defined");
    return v;
  },
  map(list: unknown[], ...args: unknown[]) {
    const kw = args.find((a) => (a as Kwargs)?.__keywords) as Kwargs | undefined;
    if (kw?.attribute !== undefined) return list.map((x) => attr(x, String(kw.attribute)) ?? kw.default);
    const [name, ...rest] = args.filter((a) => !(a as Kwargs)?.__keywords) as [string, ...unknown[]];
    const f =
      (Object.hasOwn(filters, name) ? filters[name] : undefined) ?? (env as unknown as { getFilter(n: string): (...a: unknown[]) => unknown }).getFilter(name);
    return list.map((x) => f(x, ...rest));
  },
  selectattr: (list: unknown[], key: string, test?: string, arg?: unknown) => list.filter((x) => (test ? testByName(test, attr(x, key), arg) : !!attr(x, key))),
  rejectattr: (list: unknown[], key: string, test?: string, arg?: unknown) =>
    list.filter((x) => !(test ? testByName(test, attr(x, key), arg) : !!attr(x, key))),
  b64encode: (s: string) => Buffer.from(String(s), "utf8").toString("base64"),
  b64decode: (s: string) => Buffer.from(String(s), "base64").toString("utf8"),
  to_json: (v: unknown) => JSON.stringify(v),
  to_nice_json: (v: unknown, kw?: Kwargs) => JSON.stringify(v, null, Number(kw?.indent ?? 4)),
  from_json: (s: string) => JSON.parse(s),
  to_yaml: (v: unknown) => yaml.dump(v, { flowLevel: 0 }).trimEnd(),
  to_nice_yaml: (v: unknown) => yaml.dump(v),
  from_yaml: (s: string) => yaml.load(s),
  regex_replace: (s: string, pattern: string, replacement = "", kw?: Kwargs) =>
    String(s).replace(new RegExp(pattern, "g" + (kw?.ignorecase ? "i" : "") + (kw?.multiline ? "m" : "")), replacement.replace(/\\(\d)/g, "$$$1")),
  regex_search(s: string, pattern: string) {
    const m = new RegExp(pattern).exec(String(s));
    return m ? m[0] : undefined;
  },
  regex_findall: (s: string, pattern: string) => [...String(s).matchAll(new RegExp(pattern, "g"))].map((m) => m[1] ?? m[0]),
  bool: (v: unknown) => (typeof v === "string" ? ["yes", "true", "on", "1", "y"].includes(v.toLowerCase()) : !!v),
  string: (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v)),
  unique: (list: unknown[]) => [...new Set(list)],
  union: (a: unknown[], b: unknown[]) => [...new Set([...a, ...b])],
  intersect: (a: unknown[], b: unknown[]) => a.filter((x) => b.includes(x)),
  difference: (a: unknown[], b: unknown[]) => a.filter((x) => !b.includes(x)),
  flatten: (list: unknown[], levels = Infinity) => (list as unknown[][]).flat(levels as number),
  combine: (...objs: unknown[]) => Object.assign({}, ...objs.filter((o) => !(o as Kwargs)?.__keywords)),
  dict2items: (o: Vars) => Object.entries(o ?? {}).map(([key, value]) => ({ key, value })),
  items2dict: (items: { key: string; value: unknown }[]) => Object.fromEntries(items.map((i) => [i.key, i.value])),
  basename: (p: string) => posix.basename(String(p)),
  dirname: (p: string) => posix.dirname(String(p)),
  quote: (s: string) => quote(String(s)),
  ternary: (v: unknown, yes: unknown, no: unknown) => (v ? yes : no),
  zip: (a: unknown[], ...rest: unknown[][]) => a.map((x, i) => [x, ...rest.map((r) => r[i])]),
  split: (s: string, sep?: string) => String(s).split(sep ?? /\s+/),
};
filters.default = filters.d;
for (const [name, f] of Object.entries(filters)) env.addFilter(name, f);

const tests: Record<string, (v: unknown, arg?: any) => boolean> = {
  changed: resultIs("changed"),
  failed: resultIs("failed"),
  skipped: resultIs("skipped"),
  succeeded: (r) => !resultIs("failed")(r),
  success: (r) => !resultIs("failed")(r),
  none: (v) => v === null,
  match: (v, p: string) => new RegExp("^(?:" + p + ")").test(String(v)),
  search: (v, p: string) => new RegExp(p).test(String(v)),
  equalto: (v, x) => v === x,
  in: (v, list: unknown[]) => Array.isArray(list) && list.includes(v),
  contains: (list, v) => Array.isArray(list) && list.includes(v),
};
for (const [name, t] of Object.entries(tests)) (env as unknown as { addTest(n: string, t: unknown): void }).addTest(name, t);

/** Names nunjucks resolves itself (loop variables, globals, `true`…). */
const BUILTIN_NAMES = new Set([
  "loop",
  "range",
  "cycler",
  "joiner",
  "__capture",
  "lookup",
  "query",
  "q",
  "true",
  "false",
  "none",
  "True",
  "False",
  "None",
  "omit",
]);

interface AstNode {
  typename: string;
  value?: unknown;
  target?: AstNode;
  val?: AstNode;
  children?: AstNode[];
  [k: string]: unknown;
}

/** Templates repeat across hosts and loop items: parse and compile each source once. */
function cached<T>(make: (source: string) => T): (source: string) => T {
  const seen = new Map<string, T>();
  return (source) => {
    let v = seen.get(source);
    if (v === undefined) seen.set(source, (v = make(source)));
    return v;
  };
}

const compiled = cached((source) => new nunjucks.Template(source, env, undefined, true));
const renderSource = (source: string, vars: Vars): string => compiled(source).render({ [VARIABLES]: vars });

const referencedNames = cached(parseReferencedNames);

/** Dotted names the template reads (`a`, `a.b`), in order, from nunjucks' own parser. */
function parseReferencedNames(source: string): string[] {
  const names: string[] = [];
  const localNames = new Set<string>();
  const dotted = (n: AstNode): string | undefined => {
    if (n.typename === "Symbol") return String(n.value);
    if (n.typename === "LookupVal" && n.target && n.val?.typename === "Literal") {
      const base = dotted(n.target);
      return base === undefined ? undefined : `${base}.${String(n.val.value)}`;
    }
    return undefined;
  };
  const walk = (n: unknown) => {
    if (!n || typeof n !== "object") return;
    const node = n as AstNode;
    if (node.typename === "For" || node.typename === "Set") {
      const targets = (node.name ?? node.targets) as AstNode | AstNode[] | undefined;
      for (const t of ([] as AstNode[]).concat(targets ?? [])) {
        if (t?.typename === "Symbol") localNames.add(String(t.value));
        for (const c of (t?.children ?? []) as AstNode[]) if (c.typename === "Symbol") localNames.add(String(c.value));
      }
    }
    // Function, filter and test names are not variables: only their arguments are.
    if (node.typename === "FunCall" || node.typename === "Filter") return walk(node.args);
    if (node.typename === "Pair") return walk(node.value);
    if (node.typename === "Is") {
      walk(node.left);
      return walk((node.right as AstNode | undefined)?.args);
    }
    const name = node.typename ? dotted(node) : undefined;
    if (name !== undefined) names.push(name);
    if (name !== undefined && node.typename === "Symbol") return;
    for (const [k, v] of Object.entries(node)) {
      if (k === "typename" || k === "lineno" || k === "colno") continue;
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object") walk(v);
    }
  };
  try {
    walk((nunjucks as unknown as { parser: { parse(s: string): unknown } }).parser.parse(source));
  } catch {
    return [];
  }
  return names.filter((n) => !localNames.has(n.split(".")[0]));
}

function undefinedName(source: string, vars: Vars): string | undefined {
  for (const name of referencedNames(source)) {
    const parts = name.split(".");
    if (BUILTIN_NAMES.has(parts[0])) continue;
    let cur: unknown = vars;
    for (let i = 0; i < parts.length; i++) {
      if (cur === null || typeof cur !== "object" || !(parts[i] in (cur as object))) {
        return parts.slice(0, i + 1).join(".");
      }
      cur = (cur as Vars)[parts[i]];
    }
  }
  return undefined;
}

function explain(e: unknown, source: string, vars: Vars): TemplateError | Unavailable {
  if (e instanceof TemplateError) return e;
  const unavailable = unavailableIn(e);
  if (unavailable) return unavailable;
  const message = e instanceof Error ? e.message : String(e);
  // A cycle found deep inside nested renders is reported once, as found.
  const cycle = /variables form a cycle: [^\n]*/.exec(message);
  if (cycle) return new TemplateError(cycle[0], { cause: e });
  if (/undefined|null/.test(message)) {
    const name = undefinedName(source, vars);
    if (name) return new TemplateError(`'${name}' is undefined in ${JSON.stringify(source)}`, { undefinedName: name, cause: e });
  }
  const reason = message
    .replace(/^\(unknown path\)\s*/, "")
    .replace(/\s+/g, " ")
    .trim();
  return new TemplateError(`cannot render ${JSON.stringify(source)}: ${reason}`, { cause: e });
}

/** Exactly one `{{ expression }}`: text around it, even a newline, makes the value a string. */
const SINGLE_EXPRESSION = /^\{\{((?:(?!\}\}|\{\{)[\s\S])*)\}\}$/;

/** True when the string contains template syntax. */
export function isTemplated(s: unknown): s is string {
  return typeof s === "string" && (s.includes("{{") || s.includes("{%"));
}

/**
 * True when a value holds template syntax anywhere: in a string, a list or a plain mapping.
 *
 * @example
 * containsTemplate({ a: ["x", "{{ y }}"] }) // true
 */
export function containsTemplate(v: unknown): boolean {
  if (isTemplated(v)) return true;
  if (Array.isArray(v)) return v.some(containsTemplate);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v).some(containsTemplate);
  return false;
}

/**
 * Evaluate a bare expression (as in `when:`) to its value.
 *
 * @example
 * evaluate("x > 1 and y is defined", { x: 2, y: 0 }) // true
 */
export function evaluate(expression: string, vars: Vars, shown = expression): unknown {
  const source = `{{ __capture((${expression})) }}`;
  captured = undefined;
  try {
    renderSource(source, vars);
  } catch (e) {
    throw explain(e, shown, vars);
  }
  const value = captured;
  // nunjucks lets `undefd == 1` quietly be false; Ansible calls it an error,
  // unless the expression itself guards the name.
  const name = undefinedName(source, vars);
  if (name !== undefined && (value === undefined || !guarded(expression, name))) {
    throw new TemplateError(`'${name}' is undefined in ${JSON.stringify(shown)}`, { undefinedName: name });
  }
  if (value === undefined) throw new TemplateError(`${JSON.stringify(shown)} is undefined`);
  return value;
}

function guarded(expression: string, name: string): boolean {
  const root = name.split(".")[0];
  const escaped = root.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`${escaped}[\\w.\\[\\]'"]*\\s*(is\\s+(not\\s+)?(defined|undefined|none)|\\|\\s*(default|d)\\b)`).test(expression);
}

/**
 * Render a string. A string that is exactly one `{{ expression }}` returns the
 * expression's value with its type.
 *
 * @example
 * render("{{ groups.web }}", { groups: { web: ["a"] } }) // ["a"]
 * render("host {{ name }}", { name: "a" })             // "host a"
 */
export function render(text: string, vars: Vars): unknown {
  if (!isTemplated(text)) return text;
  const single = SINGLE_EXPRESSION.exec(text);
  if (single) return evaluate(single[1], vars, text);
  try {
    return renderSource(text, vars);
  } catch (e) {
    throw explain(e, text, vars);
  }
}

/** Render a string and always return a string (file contents, messages). */
export function renderText(text: string, vars: Vars): string {
  if (!isTemplated(text)) return text;
  try {
    return renderSource(text, vars);
  } catch (e) {
    throw explain(e, text, vars);
  }
}

/**
 * Render every string inside a value, recursively; a key whose value renders
 * to `omit` is left out.
 *
 * @example
 * renderDeep({ path: "/tmp/{{ n }}" }, { n: 1 }) // { path: "/tmp/1" }
 */
export function renderDeep<T>(value: T, vars: Vars): T {
  if (typeof value === "string") return render(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, vars)) as T;
  if (value && typeof value === "object") {
    const out: Vars = {};
    for (const [k, v] of Object.entries(value)) {
      const rendered = renderDeep(v, vars);
      if (rendered !== OMIT) out[k] = rendered;
    }
    return out as T;
  }
  return value;
}

/**
 * A `when:`-style condition: a boolean, an expression, or a list of them (all must hold).
 *
 * @example
 * condition(["a == 1", "b"], { a: 1, b: true }) // true
 */
export function condition(cond: unknown, vars: Vars): boolean {
  if (Array.isArray(cond)) return cond.every((c) => condition(c, vars));
  if (typeof cond === "boolean") return cond;
  if (cond === null || cond === undefined) return true;
  if (typeof cond === "string") {
    // A condition may be written with or without braces, and with space around them.
    const single = SINGLE_EXPRESSION.exec(cond.trim());
    return truthy(evaluate(single ? single[1] : cond, vars, cond));
  }
  return truthy(cond);
}

function truthy(v: unknown): boolean {
  if (typeof v === "string") return !["", "false", "no", "off", "0"].includes(v.trim().toLowerCase());
  if (Array.isArray(v)) return v.length > 0;
  return !!v;
}
