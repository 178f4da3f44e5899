/**
 * Values as Python sees them, which is how Ansible renders them: `True`,
 * `None`, `[1, 'a']`, `{'a': 1}`, `2.0`; Python's truth, equality (`1 ==
 * 1.0 == True`), ordering, `in`, and arithmetic (`'-' * 3`, `[1] + [2]`,
 * `7 // 2`, `-7 % 3`). JavaScript has one number type, so a float whose
 * value is whole (`10 / 5`) is boxed as a `PyFloat` while the template
 * runs; every other number is what it looks like.
 */
import { TemplateError } from "./errors.ts";

/**
 * A float with a whole value (`2.0`), which JavaScript would print as `2`.
 *
 * @example
 * String(new PyFloat(2)) // "2.0"
 */
export class PyFloat {
  constructor(readonly value: number) {}
  toString(): string {
    return floatRepr(this.value);
  }
}

/**
 * A number known to be a float: boxed when whole, so it prints as one.
 *
 * @example
 * pyFloat(2) instanceof PyFloat // true
 * pyFloat(2.5)                  // 2.5
 */
export function pyFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** True when `v` is a float in Python's eyes. */
export const isFloat = (v: unknown): boolean => v instanceof PyFloat || (typeof v === "number" && !Number.isInteger(v));
/** True for Python's int and float (and bool, which is an int there). */
export const isNumber = (v: unknown): v is number | PyFloat | boolean => typeof v === "number" || typeof v === "boolean" || v instanceof PyFloat;
/** A number's plain value. */
export const num = (v: unknown): number => (v instanceof PyFloat ? v.value : typeof v === "boolean" ? Number(v) : (v as number));

/**
 * A variable or attribute that is not there. Rendering it, testing its truth
 * or computing with it is an error naming it; `is defined` and `default()` see it.
 *
 * @example
 * new Undefined("x").name // "x"
 */
export class Undefined {
  constructor(
    readonly name: string,
    readonly reason = `'${name}' is undefined`,
  ) {}
  fail(): never {
    throw new TemplateError(this.reason, { undefinedName: this.name });
  }
}

/** Lists and dicts the template itself made: the only ones its `append`/`update` may change (the rest belong to the run). */
const owned = new WeakSet<object>();
/**
 * Mark a list or dict as made by the template.
 *
 * @example
 * isOwned(own([])) // true
 */
export function own<T extends object>(v: T): T {
  owned.add(v);
  return v;
}
/** True when the template made this value. */
export const isOwned = (v: object): boolean => owned.has(v);

/** Tuples the template wrote (`(a, b)`): lists everywhere, except as the arguments of `%`. */
const tuples = new WeakSet<object>();
/**
 * Mark a list as a tuple literal.
 *
 * @example
 * isTuple(tuple([1, 2])) // true
 */
export function tuple<T extends unknown[]>(items: T): T {
  tuples.add(items);
  return own(items);
}
/** True for a list written as a tuple. */
export const isTuple = (v: unknown): boolean => typeof v === "object" && v !== null && tuples.has(v);

/** A plain mapping (a dict), not a list, a box or a callable. */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof PyFloat) && !(v instanceof Undefined) && !isCallable(v);
}

const CALLABLE = Symbol("jinja callable");
/**
 * A function templates may call (a macro, a global such as `range`); plain JavaScript functions are never callable from a template.
 *
 * @example
 * const f = callable((args) => args.length);
 */
export type Callable = ((args: unknown[], kwargs: Record<string, unknown>) => unknown) & { [CALLABLE]: true };
/** Make a template-callable function. */
export function callable(f: (args: unknown[], kwargs: Record<string, unknown>) => unknown): Callable {
  return Object.assign(f, { [CALLABLE]: true as const });
}
/** True for functions made by `callable`. */
export const isCallable = (v: unknown): v is Callable => typeof v === "function" && (v as Partial<Callable>)[CALLABLE] === true;

/** Throw if `v` is undefined, else return it. */
export function defined<T>(v: T): Exclude<T, Undefined> {
  if (v instanceof Undefined) v.fail();
  return v as Exclude<T, Undefined>;
}

/**
 * Python's truth.
 *
 * @example
 * truthy([]) // false
 * truthy("0") // true
 */
export function truthy(v: unknown): boolean {
  v = defined(v);
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === "number") return v !== 0;
  if (v instanceof PyFloat) return v.value !== 0;
  if (typeof v === "string") return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isMapping(v)) return Object.keys(v).length > 0;
  return true;
}

/** Python's `repr` of a float: shortest round trip, exponent from 1e16 and below 1e-4. */
export function floatRepr(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const abs = Math.abs(n);
  if (abs >= 1e16 || abs < 1e-4) {
    const [mantissa, exp] = n.toExponential().split("e");
    const e = Number(exp);
    return `${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  const s = String(n);
  return s.includes(".") ? s : `${s}.0`;
}

/** Python's repr of a string: single quotes unless it holds one and no double quote. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad) out += `\\x${c.toString(16)}`;
    else out += ch;
  }
  return out + quote;
}

/**
 * Python's `repr`: what a list or dict shows of its items.
 *
 * @example
 * repr([1, "a", null]) // "[1, 'a', None]"
 */
export function repr(v: unknown): string {
  if (typeof v === "string") return strRepr(v);
  if (Array.isArray(v)) return `[${v.map(repr).join(", ")}]`;
  if (isMapping(v))
    return `{${Object.keys(v)
      .map((k) => `${strRepr(k)}: ${repr(v[k])}`)
      .join(", ")}}`;
  return str(v);
}

/**
 * Python's `str`: what `{{ }}` prints (Ansible prints `None` as nothing, see render.ts).
 *
 * @example
 * str(true)    // "True"
 * str([1, 'a']) // "[1, 'a']"
 */
export function str(v: unknown): string {
  v = defined(v);
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : floatRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (Array.isArray(v) || isMapping(v)) return repr(v);
  if (isCallable(v)) return "<function>";
  return String(v);
}

/** Python's type name, for error messages as Ansible words them. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "str";
  if (isFloat(v)) return "float";
  if (typeof v === "number") return "int";
  if (Array.isArray(v)) return "list";
  if (v instanceof Undefined) return "AnsibleUndefined";
  if (isCallable(v)) return "function";
  return "dict";
}

/**
 * Python's `==`.
 *
 * @example
 * equals(1, new PyFloat(1)) // true
 * equals([1, "a"], [1, "a"]) // true
 */
export function equals(a: unknown, b: unknown): boolean {
  a = defined(a);
  b = defined(b);
  if (isNumber(a) && isNumber(b)) return num(a) === num(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equals(x, b[i]));
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && equals(a[k], b[k]));
  }
  return a === b || (a == null && b == null);
}

/**
 * Python's ordering: numbers with numbers, strings with strings, lists item by item; anything else is an error, as in Python.
 *
 * @example
 * compare("a", "b") // -1
 */
export function compare(a: unknown, b: unknown): number {
  a = defined(a);
  b = defined(b);
  if (isNumber(a) && isNumber(b)) return Math.sign(num(a) - num(b));
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compare(a[i], b[i]);
      if (c !== 0 || !equals(a[i], b[i])) return c;
    }
    return Math.sign(a.length - b.length);
  }
  throw new TemplateError(`'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/**
 * Python's `item in container`.
 *
 * @example
 * contains("abc", "b") // true
 * contains({ a: 1 }, "a") // true
 */
export function contains(container: unknown, item: unknown): boolean {
  container = defined(container);
  if (typeof container === "string") {
    if (typeof item !== "string") throw new TemplateError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((x) => equals(x, item));
  if (isMapping(container)) {
    item = defined(item);
    return typeof item === "string" || typeof item === "number" ? Object.hasOwn(container, String(item)) : false;
  }
  throw new TemplateError(`argument of type '${typeName(container)}' is not iterable`);
}

const unsupported = (op: string, a: unknown, b: unknown): never => {
  throw new TemplateError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
};

/** A number result: a float when either side was one (or `/`), else an int. */
const numeric = (n: number, float: boolean): number | PyFloat => (float ? pyFloat(n) : n);

/**
 * A binary operator as Python computes it.
 *
 * @example
 * binary("*", "-", 3)  // "---"
 * binary("/", 10, 5)   // PyFloat(2), printed "2.0"
 * binary("%", -7, 3)   // 2
 */
export function binary(op: string, a: unknown, b: unknown, format: (f: string, args: unknown) => string): unknown {
  a = defined(a);
  b = defined(b);
  if (isNumber(a) && isNumber(b)) {
    const x = num(a);
    const y = num(b);
    const float = isFloat(a) || isFloat(b);
    switch (op) {
      case "+":
        return numeric(x + y, float);
      case "-":
        return numeric(x - y, float);
      case "*":
        return numeric(x * y, float);
      case "/":
        if (y === 0) throw new TemplateError("division by zero");
        return pyFloat(x / y);
      case "//":
        if (y === 0) throw new TemplateError("integer division or modulo by zero");
        return numeric(Math.floor(x / y), float);
      case "%":
        if (y === 0) throw new TemplateError("integer division or modulo by zero");
        return numeric(x - y * Math.floor(x / y), float);
      case "**":
        return numeric(x ** y, float || y < 0);
    }
  }
  if (op === "+") {
    if (typeof a === "string" && typeof b === "string") return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return own([...a, ...b]);
  }
  if (op === "*") {
    const [seq, times] = isNumber(a) ? [b, a] : [a, b];
    if (isNumber(times) && !isFloat(times)) {
      const n = Math.max(0, num(times));
      if (typeof seq === "string") return seq.repeat(n);
      if (Array.isArray(seq)) return own(Array.from({ length: n }, () => seq).flat());
    }
  }
  if (op === "%" && typeof a === "string") return format(a, b);
  return unsupported(op, a, b);
}
