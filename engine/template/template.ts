/**
 * `{{ }}` templating as Ansible does it: Jinja2's language (jinja/, an
 * implementation of Jinja2 for hoist, see docs/architecture.md for why not
 * a library), Ansible's filters, tests and globals, Python's rendering of
 * values. A string that is one expression keeps its type (`loop: "{{
 * groups.web }}"` is a list), as Ansible's native evaluation does. Undefined
 * variables are errors naming the variable.
 */
import { readFileSync } from "node:fs";
import { TemplateError } from "./jinja/errors.ts";
import { parseExpression, parseTemplate } from "./jinja/parser.ts";
import { contextual, evaluateExpr, renderNative, renderNodes, type Environment, type RenderContext } from "./jinja/render.ts";
import { makeEnvironment } from "./jinja/environment.ts";
import { isMapping, PyFloat, Undefined } from "./jinja/values.ts";
import type { Expr, Node } from "./jinja/ast.ts";
import type { LexOptions } from "./jinja/lexer.ts";
import { unavailableIn, type Unavailable } from "./unavailable.ts";
import { findControlFile, lookup, query } from "./lookups.ts";
import type { Vars } from "../vars.ts";

export { TemplateError };

/**
 * `omit`: a module argument rendered to it is left out, as if never written
 * (`channel: "{{ my_channel | default(omit) }}"`). A marker no playbook writes by accident.
 */
export const OMIT = "__omit_place_holder__hoist__";

const lookupContext = (ctx: RenderContext) => ({ vars: ctx.vars, renderText: renderTemplateFile });
const globals = {
  omit: OMIT,
  lookup: contextual((ctx, a) => lookup(lookupContext(ctx), String(a.args[0]), a.args.slice(1), a.kwargs)),
  query: contextual((ctx, a) => query(lookupContext(ctx), String(a.args[0]), a.args.slice(1), a.kwargs)),
  q: contextual((ctx, a) => query(lookupContext(ctx), String(a.args[0]), a.args.slice(1), a.kwargs)),
};
const env: Environment = makeEnvironment(globals);
/** Template files may `{% include %}` other templates, found as the template module finds its `src`. */
const fileEnv: Environment = {
  ...env,
  load: (name, ctx) => {
    const path = findControlFile(name, "templates", ctx.vars);
    return path === undefined ? undefined : readFileSync(path, "utf8");
  },
  parse: (source) => parsed(source),
};

/** Templates repeat across hosts and loop items: parse each source once. */
function cached<T>(make: (source: string) => T): (source: string) => T {
  const seen = new Map<string, T>();
  return (source) => {
    let v = seen.get(source);
    if (v === undefined) seen.set(source, (v = make(source)));
    return v;
  };
}
const parsed = cached((source): Node[] => parseTemplate(source));
const parsedFile = cached((source): Node[] => {
  const { body, options } = header(source);
  return parseTemplate(body, options);
});
const parsedExpression = cached((source): Expr => parseExpression(source));

/** Errors already given their template's context (a variable's own template, rendered inside another's). */
const located = new WeakSet<Error>();

/** A template as an error message shows it: a long one (a whole file) by its start. */
const shown = (source: string) => JSON.stringify(source.length > 160 ? `${source.slice(0, 160)}…` : source);

function explain(e: unknown, source: string): TemplateError | Unavailable {
  const unavailable = unavailableIn(e);
  if (unavailable) return unavailable;
  if (e instanceof Error && located.has(e)) return e as TemplateError;
  const message = e instanceof Error ? e.message : String(e);
  const named = e instanceof TemplateError ? e.undefinedName : undefined;
  const because = named === undefined || message === `'${named}' is undefined` ? "" : ` (${message})`;
  const out =
    named !== undefined
      ? new TemplateError(`'${named}' is undefined in ${shown(source)}${because}`, { undefinedName: named, cause: e })
      : new TemplateError(`cannot render ${shown(source)}: ${message.replace(/\s+/g, " ").trim()}`, { cause: e });
  located.add(out);
  return out;
}

/** A value as the run keeps it: whole floats unboxed, and nothing undefined left inside. */
function native(v: unknown): unknown {
  if (v instanceof Undefined) v.fail();
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    v.forEach((x, i) => {
      const n = native(x);
      if (n !== x) (copy ??= [...v])[i] = n;
    });
    return copy ?? v;
  }
  if (isMapping(v)) {
    let copy: Vars | undefined;
    for (const k of Object.keys(v)) {
      const x = v[k];
      const n = native(x);
      if (n !== x) (copy ??= { ...v })[k] = n;
    }
    return copy ?? v;
  }
  return v;
}

/** Ansible gives back the final newline Jinja2 drops, unless the output is empty or already ends with one. */
const trailingNewline = (source: string, out: string): string => (out !== "" && /\n$/.test(source) && !out.endsWith("\n") ? `${out}\n` : out);
const renderWith = (environment: Environment, source: string, nodes: Node[], vars: Vars): string =>
  trailingNewline(source, renderNodes(nodes, { env: environment, vars }));

/** Exactly one `{{ expression }}`: text around it, even a newline, makes the value a string. */
const SINGLE_EXPRESSION = /^\{\{((?:(?!\}\}|\{\{)[\s\S])*)\}\}$/;

/** True when the string contains template syntax. */
export function isTemplated(s: unknown): s is string {
  return typeof s === "string" && (s.includes("{{") || s.includes("{%") || s.includes("{#"));
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
  try {
    return native(evaluateExpr(parsedExpression(expression), { env, vars }));
  } catch (e) {
    throw explain(e, shown);
  }
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
  try {
    const value = native(renderNative(parsed(text), { env, vars }));
    return typeof value === "string" ? trailingNewline(text, value) : value;
  } catch (e) {
    throw explain(e, text);
  }
}

/** Render a string and always return a string (messages, names). */
export function renderText(text: string, vars: Vars): string {
  if (!isTemplated(text)) return text;
  try {
    return renderWith(env, text, parsed(text), vars);
  } catch (e) {
    throw explain(e, text);
  }
}

/** `#jinja2: trim_blocks: False, lstrip_blocks: True`: a template file's first line may change how it is read. */
function header(text: string): { body: string; options: LexOptions } {
  const m = /^#jinja2:([^\n]*)\n?/.exec(text);
  if (!m) return { body: text, options: { stringEscapes: true } };
  const options: LexOptions = { stringEscapes: true };
  for (const part of m[1].split(",")) {
    if (!part.includes(":")) throw new TemplateError(`#jinja2: missing ':' in '${part.trim()}'`);
    const [key, value] = part.split(":").map((s) => s.trim());
    const on = /^true$/i.test(value ?? "");
    if (key === "trim_blocks") options.trimBlocks = on;
    else if (key === "lstrip_blocks") options.lstripBlocks = on;
    else if (key === "keep_trailing_newline") options.keepTrailingNewline = on;
    else if (key !== "newline_sequence") throw new TemplateError(`#jinja2: hoist does not support the setting '${key}'`);
  }
  return { body: text.slice(m[0].length), options };
}

/**
 * Render a template file (the template module, the `template` lookup): it may
 * `{% include %}` other templates and start with a `#jinja2:` settings line.
 *
 * @example
 * renderTemplateFile("#jinja2: lstrip_blocks: True\n  {% if a %}x{% endif %}", { a: true }) // "x"
 */
export function renderTemplateFile(text: string, vars: Vars): string {
  if (!text.startsWith("#jinja2:") && !isTemplated(text)) return text;
  try {
    return renderWith(fileEnv, text, parsedFile(text), vars);
  } catch (e) {
    throw explain(e, text);
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
  if (isMapping(v)) return Object.keys(v).length > 0;
  return !!v;
}
