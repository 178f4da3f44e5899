/**
 * nunjucks is not a sandbox: `{{ range.constructor("…")() }}` reaches
 * JavaScript's Function constructor, and names like `constructor` resolve
 * through Object.prototype. This file replaces the two lookups compiled
 * templates make (a name, and a member of a value) with ones that see only a
 * value's own data and the methods of plain values, never constructors,
 * prototypes or property accessors. Every template hoist renders goes through
 * them, because compiled templates call `runtime.memberLookup` and
 * `runtime.contextOrFrameLookup` on the one shared runtime object.
 */
import nunjucks from "nunjucks";

/** Names that lead from a value to code: constructors, prototypes, accessors, call forwarding. */
const DENIED = new Set([
  "constructor",
  "prototype",
  "__proto__",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
  "caller",
  "callee",
  "arguments",
  "call",
  "apply",
  "bind",
]);

/**
 * The one key of the context object handed to nunjucks; the variables hang
 * under it. nunjucks copies the context's own keys on every render, which
 * would read (and so render) every lazily templated variable; one key costs
 * nothing. No template can spell it: names do not hold NUL.
 */
export const VARIABLES = "\u0000vars";

/** True when `key` is `obj`'s own data, or inherited from anything but Object.prototype/Function.prototype. */
function visible(obj: object, key: string): boolean {
  for (let o: object | null = obj; o && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, key)) return true;
  }
  return false;
}

/**
 * A member of a value as a template may see it: undefined for the denied
 * names and for what plain objects inherit; string and list methods stay
 * (`"a b".split()`), bound to their value.
 *
 * @example
 * safeMember(range, "constructor") // undefined
 * safeMember({ a: 1 }, "a")         // 1
 */
export function safeMember(obj: unknown, key: unknown): unknown {
  if (obj === undefined || obj === null) return undefined;
  const name = String(key);
  if (DENIED.has(name)) return undefined;
  const holder = typeof obj === "object" || typeof obj === "function" ? (obj as object) : Object(obj);
  if (!visible(holder, name)) return undefined;
  const value = (obj as Record<string, unknown>)[name];
  return typeof value === "function" ? (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(obj, args) : value;
}

interface Frame {
  variables: Record<string, unknown>;
  parent?: Frame | null;
}
interface Context {
  ctx: Record<string, unknown>;
  env: { globals: Record<string, unknown> };
}

function nameLookup(context: Context, frame: Frame | null | undefined, name: string): unknown {
  if (DENIED.has(name)) return undefined;
  for (let f = frame; f; f = f.parent) if (Object.hasOwn(f.variables, name)) return f.variables[name];
  const ctx = context.ctx;
  if (Object.hasOwn(ctx, name)) return ctx[name];
  const vars = ctx[VARIABLES] as Record<string, unknown> | undefined;
  if (vars && visible(vars, name)) return vars[name];
  return Object.hasOwn(context.env.globals, name) ? context.env.globals[name] : undefined;
}

const runtime = (nunjucks as unknown as { runtime: Record<string, unknown> }).runtime;
runtime.memberLookup = safeMember;
runtime.contextOrFrameLookup = nameLookup;

/**
 * Give an environment's filters, tests and globals a null prototype, so that
 * `x | constructor` or `x is __proto__` names nothing.
 *
 * @example
 * harden(new nunjucks.Environment(null));
 */
export function harden(env: nunjucks.Environment): nunjucks.Environment {
  const e = env as unknown as Record<"filters" | "tests" | "globals", Record<string, unknown>>;
  for (const k of ["filters", "tests", "globals"] as const) e[k] = Object.assign(Object.create(null), e[k]);
  return env;
}
