/**
 * What a template may reach of a value: a mapping's own data, a list's or
 * string's items and slices, a Python method (methods.ts) — never
 * JavaScript's machinery (constructors, prototypes, accessors). What is not
 * there is an Undefined that names its path, as Jinja2's undefined does.
 */
import type { Expr } from "./ast.ts";
import { TemplateError } from "./errors.ts";
import { method } from "./methods.ts";
import { defined, isMapping, isNumber, num, own, str, typeName, Undefined } from "./values.ts";

/** Names that lead to JavaScript's machinery on objects; never members of data. */
const DENIED = new Set(["constructor", "prototype", "__proto__", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__"]);

/**
 * True when `key` is `obj`'s own data, or inherited from anything but Object.prototype/Function.prototype.
 *
 * @example
 * visible({ a: 1 }, "constructor") // false
 */
export function visible(obj: object, key: string): boolean {
  if (DENIED.has(key)) return false;
  for (let o: object | null = obj; o && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, key)) return true;
  }
  return false;
}

/**
 * The dotted name of an expression that reads a variable (`a.b.c`), to name it when undefined.
 *
 * @example
 * pathOf({ type: "Getattr", node: { type: "Name", name: "a" }, attr: "b" }) // "a.b"
 */
export function pathOf(e: Expr): string | undefined {
  if (e.type === "Name") return e.name;
  if (e.type === "Getattr") {
    const base = pathOf(e.node);
    return base === undefined ? undefined : `${base}.${e.attr}`;
  }
  if (e.type === "Getitem" && e.arg.type === "Const" && (typeof e.arg.value === "string" || typeof e.arg.value === "number")) {
    const base = pathOf(e.node);
    return base === undefined ? undefined : `${base}.${e.arg.value}`;
  }
  return undefined;
}

/**
 * `obj.name` as Jinja2 resolves it: a mapping's key, else a method; what is not there is Undefined.
 *
 * @example
 * getattr({ a: 1 }, "a", "d") // 1
 */
export function getattr(obj: unknown, name: string, path?: string): unknown {
  if (obj instanceof Undefined) return new Undefined(path ?? `${obj.name}.${name}`, obj.reason);
  if (isMapping(obj) && visible(obj, name)) return obj[name];
  const m = method(obj, name);
  if (m) return m;
  return new Undefined(path ?? name, `object of type '${typeName(obj)}' has no attribute '${name}'`);
}

/** `obj[key]`: a list's item (negative from the end), a string's character, a mapping's key; else Undefined. */
export function getitem(obj: unknown, key: unknown, path?: string): unknown {
  if (obj instanceof Undefined) return new Undefined(path ?? `${obj.name}.${key instanceof Undefined ? "?" : str(key)}`, obj.reason);
  key = defined(key);
  if ((Array.isArray(obj) || typeof obj === "string") && isNumber(key)) {
    const i = num(key) < 0 ? obj.length + num(key) : num(key);
    if (i >= 0 && i < obj.length) return obj[i];
    return new Undefined(path ?? String(key), `${typeName(obj)} index out of range`);
  }
  if (isMapping(obj) && (typeof key === "string" || typeof key === "number") && visible(obj, String(key))) return obj[String(key)];
  if (typeof key === "string") return getattr(obj, key, path);
  return new Undefined(path ?? str(key), `object of type '${typeName(obj)}' has no item ${str(key)}`);
}

/**
 * Python's slice `[start:stop:step]` of a list or string.
 *
 * @example
 * slice([1, 2, 3], 1, undefined, undefined) // [2, 3]
 */
export function slice(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  obj = defined(obj);
  if (!Array.isArray(obj) && typeof obj !== "string") throw new TemplateError(`'${typeName(obj)}' object is not subscriptable`);
  const n = obj.length;
  const s = step === undefined || step === null ? 1 : num(step);
  if (s === 0) throw new TemplateError("slice step cannot be zero");
  const bound = (v: unknown, fallback: number) => {
    if (v === undefined || v === null) return fallback;
    const i = num(v);
    return i < 0 ? Math.max(i + n, s < 0 ? -1 : 0) : Math.min(i, s < 0 ? n - 1 : n);
  };
  const from = bound(start, s > 0 ? 0 : n - 1);
  const to = bound(stop, s > 0 ? n : -1);
  const items: unknown[] = [];
  for (let i = from; s > 0 ? i < to : i > to; i += s) items.push(obj[i]);
  return typeof obj === "string" ? items.join("") : own(items);
}

/**
 * The items a `for` walks: a list's items, a mapping's keys, a string's characters.
 *
 * @example
 * iterate({ a: 1, b: 2 }) // ["a", "b"]
 */
export function iterate(v: unknown): unknown[] {
  v = defined(v);
  if (Array.isArray(v)) return v;
  if (isMapping(v)) return Object.keys(v);
  if (typeof v === "string") return [...v];
  throw new TemplateError(`'${typeName(v)}' object is not iterable`);
}
