/**
 * The methods of Python's str, list and dict that templates call
 * (`'a b'.split()`, `d.items()`, `name.startswith('web')`). They are the
 * only functions a value offers: nothing of JavaScript is reachable through
 * a value, so `x.constructor` is simply undefined. Methods that change a
 * list or dict work only on what the template itself made (see values.ts):
 * the run's variables are shared by every host and task.
 */
import { TemplateError } from "./errors.ts";
import { strFormat } from "./format.ts";
import { callable, contains, defined, equals, isMapping, isOwned, own, str, type Callable } from "./values.ts";

type Method = (self: any, args: unknown[], kwargs: Record<string, unknown>) => unknown;

/** What Python's str.strip() takes for whitespace: JavaScript's, plus the four separator controls and NEL. */
const SPACE = "[\\s\\x1c-\\x1f\\x85]+";
const WHITESPACE = new RegExp(`^${SPACE}|${SPACE}$`, "g");
const LEADING = new RegExp(`^${SPACE}`);
const TRAILING = new RegExp(`${SPACE}$`);
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function strip(s: string, chars: unknown, side: "both" | "left" | "right"): string {
  if (chars === undefined || chars === null) {
    if (side === "left") return s.replace(LEADING, "");
    if (side === "right") return s.replace(TRAILING, "");
    return s.replace(WHITESPACE, "");
  }
  const set = `[${escapeRegex(String(chars))}]+`;
  if (side !== "right") s = s.replace(new RegExp(`^${set}`, "u"), "");
  if (side !== "left") s = s.replace(new RegExp(`${set}$`, "u"), "");
  return s;
}

/** Python's `str.split`: no separator splits on runs of whitespace and drops empty ends. */
export function pySplit(s: string, sep?: unknown, maxsplit = -1): string[] {
  if (sep === undefined || sep === null) {
    const words = s.trim() === "" ? [] : s.replace(/^\s+/, "").split(/\s+/);
    if (maxsplit < 0 || words.length <= maxsplit + 1) return own(s.trim() === "" ? [] : s.trim().split(/\s+/));
    const out: string[] = [];
    let rest = s.replace(/^\s+/, "");
    for (let i = 0; i < maxsplit; i++) {
      const m = /\s+/.exec(rest)!;
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    out.push(rest);
    return own(out);
  }
  const separator = String(sep);
  if (separator === "") throw new TemplateError("empty separator");
  const parts = s.split(separator);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return own(parts);
  return own([...parts.slice(0, maxsplit), parts.slice(maxsplit).join(separator)]);
}

const prefixes = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]);

const STRING_METHODS: Record<string, Method> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  title: (s: string) => s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, a, b) => a + b.toUpperCase()),
  capitalize: (s: string) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  swapcase: (s: string) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(""),
  strip: (s, [chars]) => strip(s, chars, "both"),
  lstrip: (s, [chars]) => strip(s, chars, "left"),
  rstrip: (s, [chars]) => strip(s, chars, "right"),
  split: (s, [sep, maxsplit], kw) => pySplit(s, sep ?? kw.sep, Number(maxsplit ?? kw.maxsplit ?? -1)),
  rsplit(s: string, [sep, maxsplit], kw) {
    const max = Number(maxsplit ?? kw.maxsplit ?? -1);
    if (max < 0) return pySplit(s, sep ?? kw.sep);
    const reversed = pySplit([...s].reverse().join(""), typeof sep === "string" ? [...sep].reverse().join("") : sep, max);
    return own(reversed.map((p) => [...p].reverse().join("")).reverse());
  },
  splitlines: (s: string, [keepends]) =>
    own(s === "" ? [] : (s.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? []).map((l) => (keepends ? l : l.replace(/\r?\n$|\r$/, "")))),
  startswith: (s: string, [p]) => prefixes(p).some((x) => s.startsWith(x)),
  endswith: (s: string, [p]) => prefixes(p).some((x) => s.endsWith(x)),
  replace: (s: string, [old, rep, count]) => {
    const n = count === undefined ? -1 : Number(count);
    if (n < 0) return s.split(String(old)).join(String(rep));
    const parts = s.split(String(old));
    return parts.slice(0, n + 1).join(String(rep)) + (parts.length > n + 1 ? String(old) + parts.slice(n + 1).join(String(old)) : "");
  },
  find: (s: string, [sub]) => s.indexOf(String(sub)),
  rfind: (s: string, [sub]) => s.lastIndexOf(String(sub)),
  index(s: string, [sub]) {
    const i = s.indexOf(String(sub));
    if (i < 0) throw new TemplateError("substring not found");
    return i;
  },
  count: (s: string, [sub]) => (String(sub) === "" ? s.length + 1 : s.split(String(sub)).length - 1),
  join: (s: string, [items]) =>
    (defined(items) as unknown[]).map((x) => (typeof x === "string" ? x : fail(`sequence item: expected str instance, ${str(x)} found`))).join(s),
  format: (s: string, args, kwargs) => strFormat(s, args, kwargs),
  isdigit: (s: string) => /^\d+$/.test(s),
  isnumeric: (s: string) => /^\d+$/.test(s),
  isdecimal: (s: string) => /^\d+$/.test(s),
  isalpha: (s: string) => /^\p{L}+$/u.test(s),
  isalnum: (s: string) => /^[\p{L}\d]+$/u.test(s),
  isspace: (s: string) => /^\s+$/.test(s),
  isupper: (s: string) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
  islower: (s: string) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  istitle: (s: string) => s.length > 0 && s === STRING_METHODS.title(s, [], {}),
  zfill: (s: string, [width]) => (/^[+-]/.test(s) ? s[0] + s.slice(1).padStart(Number(width) - 1, "0") : s.padStart(Number(width), "0")),
  center(s: string, [width, fill = " "]) {
    const missing = Math.max(0, Number(width) - s.length);
    const left = Math.floor(missing / 2) + (missing % 2 && Number(width) % 2 ? 1 : 0);
    return String(fill).repeat(left) + s + String(fill).repeat(missing - left);
  },
  ljust: (s: string, [width, fill = " "]) => s.padEnd(Number(width), String(fill)),
  rjust: (s: string, [width, fill = " "]) => s.padStart(Number(width), String(fill)),
  partition(s: string, [sep]) {
    const i = s.indexOf(String(sep));
    return own(i < 0 ? [s, "", ""] : [s.slice(0, i), String(sep), s.slice(i + String(sep).length)]);
  },
  rpartition(s: string, [sep]) {
    const i = s.lastIndexOf(String(sep));
    return own(i < 0 ? ["", "", s] : [s.slice(0, i), String(sep), s.slice(i + String(sep).length)]);
  },
  removeprefix: (s: string, [p]) => (s.startsWith(String(p)) ? s.slice(String(p).length) : s),
  removesuffix: (s: string, [p]) => (String(p) && s.endsWith(String(p)) ? s.slice(0, -String(p).length) : s),
  encode: (s) => s,
  decode: (s) => s,
};

const fail = (message: string): never => {
  throw new TemplateError(message);
};

/** What Python's in-place methods return: None. */
const none = (_done: unknown): null => null;

function mutable<T extends object>(v: T, method: string): T {
  if (!isOwned(v))
    throw new TemplateError(`${method}() cannot change a variable of the run (every host and task shares it); build a new value instead, with + or combine()`);
  return v;
}

const LIST_METHODS: Record<string, Method> = {
  index(list: unknown[], [x]) {
    const i = list.findIndex((y) => equals(x, y));
    if (i < 0) throw new TemplateError(`${str(x)} is not in list`);
    return i;
  },
  count: (list: unknown[], [x]) => list.filter((y) => equals(x, y)).length,
  copy: (list: unknown[]) => own([...list]),
  append: (list: unknown[], [x]) => none(mutable(list, "append").push(x)),
  extend: (list: unknown[], [xs]) => none(mutable(list, "extend").push(...(defined(xs) as unknown[]))),
  insert: (list: unknown[], [i, x]) => none(mutable(list, "insert").splice(Number(i), 0, x)),
  pop(list: unknown[], [i]) {
    mutable(list, "pop");
    if (!list.length) throw new TemplateError("pop from empty list");
    return i === undefined ? list.pop() : list.splice(Number(i), 1)[0];
  },
  remove(list: unknown[], [x]) {
    const i = mutable(list, "remove").findIndex((y) => equals(x, y));
    if (i < 0) throw new TemplateError("list.remove(x): x not in list");
    list.splice(i, 1);
    return null;
  },
  reverse: (list: unknown[]) => none(mutable(list, "reverse").reverse()),
  sort: (list: unknown[]) => none(mutable(list, "sort").sort()),
};

const DICT_METHODS: Record<string, Method> = {
  items: (d: Record<string, unknown>) => own(Object.keys(d).map((k) => own([k, d[k]]))),
  keys: (d: Record<string, unknown>) => own(Object.keys(d)),
  values: (d: Record<string, unknown>) => own(Object.keys(d).map((k) => d[k])),
  get: (d: Record<string, unknown>, [key, fallback = null]) => (contains(d, key) ? d[String(key)] : fallback),
  copy: (d: Record<string, unknown>) => own({ ...d }),
  update(d: Record<string, unknown>, [other], kwargs) {
    Object.assign(mutable(d, "update"), isMapping(other) ? other : {}, kwargs);
    return null;
  },
  setdefault(d: Record<string, unknown>, [key, value = null]) {
    if (!contains(d, key)) mutable(d, "setdefault")[String(key)] = value;
    return d[String(key)];
  },
  pop(d: Record<string, unknown>, [key, fallback]) {
    if (!contains(d, key)) {
      if (fallback === undefined) throw new TemplateError(`KeyError: ${str(key)}`);
      return fallback;
    }
    const v = mutable(d, "pop")[String(key)];
    delete d[String(key)];
    return v;
  },
};

/**
 * The method `name` of `value`, bound to it, or undefined when a value of its type has none.
 *
 * @example
 * (method("a b", "split")!)([], {}) // ["a", "b"]
 */
export function method(value: unknown, name: string): Callable | undefined {
  const table = typeof value === "string" ? STRING_METHODS : Array.isArray(value) ? LIST_METHODS : isMapping(value) ? DICT_METHODS : undefined;
  if (!table || !Object.hasOwn(table, name)) return undefined;
  const m = table[name];
  return callable((args, kwargs) => m(value, args, kwargs));
}
