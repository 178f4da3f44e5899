/**
 * Tests (`x is name(args)`): Jinja2's (`jinja2/tests.py`) and ansible-core's
 * (`ansible/plugins/test/core.py`, `files.py`, `mathstuff.py`): results of
 * tasks (`changed`, `failed`…), `match`/`search`/`regex`, `version` with
 * its operators and version types, `subset`/`superset`, and paths on the
 * control machine (`file`, `directory`, `exists`).
 */
import { existsSync, lstatSync, realpathSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { TemplateError } from "./errors.ts";
import { pythonRegex } from "./python-regex.ts";
import { iterate } from "./members.ts";
import type { ArgReader, Test } from "./render.ts";
import { compare, contains, equals, isCallable, isFloat, isMapping, isNumber, num, PyFloat, str, truthy, Undefined } from "./values.ts";

const result = (key: string) => (r: unknown) => {
  if (!isMapping(r)) throw new TemplateError(`the '${key}' test expects a task result (a dictionary), got ${str(r)}`);
  return truthy(r[key] ?? false);
};

/** LooseVersion's parts: runs of digits as numbers, runs of letters as text, dots dropped. */
function looseParts(v: string): (number | string)[] {
  return (v.match(/\d+|[a-z]+|\.|[^\d\sa-z.]+/gi) ?? []).filter((p) => p !== ".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function compareParts(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const x = a[i];
    const y = b[i];
    if (typeof x !== typeof y) throw new TemplateError(`version comparison of '${x}' with '${y}' is not possible`);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Semantic versions: numeric core, then a pre-release sorts before the release. */
function compareSemver(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
    if (!m) throw new TemplateError(`'${v}' is not a valid semantic version`);
    return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4]?.split(".") };
  };
  const x = parse(a);
  const y = parse(b);
  const core = compareParts(x.core, y.core);
  if (core) return core;
  if (!x.pre || !y.pre) return x.pre ? -1 : y.pre ? 1 : 0;
  return compareParts(
    x.pre.map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
    y.pre.map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
  );
}

const OPERATORS: Record<string, (c: number) => boolean> = {
  "==": (c) => c === 0,
  "=": (c) => c === 0,
  eq: (c) => c === 0,
  "<": (c) => c < 0,
  lt: (c) => c < 0,
  "<=": (c) => c <= 0,
  le: (c) => c <= 0,
  ">": (c) => c > 0,
  gt: (c) => c > 0,
  ">=": (c) => c >= 0,
  ge: (c) => c >= 0,
  "!=": (c) => c !== 0,
  "<>": (c) => c !== 0,
  ne: (c) => c !== 0,
};

/** Ansible's `version` test. */
function version(value: unknown, a: ArgReader): boolean {
  const other = str(a(0, "version"));
  const operator = str(a(1, "operator", "eq"));
  const type = str(a(3, "version_type", truthy(a(2, "strict", false)) ? "strict" : "loose"));
  const check = OPERATORS[operator];
  if (!check) throw new TemplateError(`version: invalid operator '${operator}'`);
  const mine = str(value);
  if (type === "semver" || type === "semantic") return check(compareSemver(mine, other));
  if (type === "strict") {
    const strict = /^\d+\.\d+(\.\d+)?([ab]\d+)?$/;
    if (!strict.test(mine) || !strict.test(other)) throw new TemplateError(`invalid version string for strict comparison`);
  }
  if (mine === "" || other === "") throw new TemplateError("version value cannot be empty");
  return check(compareParts(looseParts(mine), looseParts(other)));
}

function regexTest(value: unknown, a: ArgReader, kind: "match" | "search" | "fullmatch"): boolean {
  const re = pythonRegex(str(a(0, "pattern")), `${truthy(a(1, "ignorecase", false)) ? "i" : ""}${truthy(a(2, "multiline", false)) ? "m" : ""}`);
  const s = str(value);
  const m = re.exec(s);
  if (!m) return false;
  if (kind === "search") return true;
  if (kind === "match") return m.index === 0 || new RegExp(`^(?:${re.source})`, re.flags).test(s);
  return new RegExp(`^(?:${re.source})$`, re.flags).test(s);
}

const statOf = (path: unknown, follow = true) => {
  try {
    return follow ? statSync(str(path)) : lstatSync(str(path));
  } catch {
    return undefined;
  }
};

/**
 * Tests by name.
 *
 * @example
 * TESTS.even(4, reader([], {}), ctx) // true
 */
export const TESTS: Record<string, Test> = {
  defined: (v) => !(v instanceof Undefined),
  undefined: (v) => v instanceof Undefined,
  none: (v) => v === null,
  boolean: (v) => typeof v === "boolean",
  false: (v) => v === false,
  true: (v) => v === true,
  integer: (v) => typeof v === "number" && Number.isInteger(v),
  float: (v) => isFloat(v),
  number: (v) => isNumber(v) && !(typeof v === "boolean"),
  string: (v) => typeof v === "string",
  mapping: (v) => isMapping(v),
  sequence: (v) => Array.isArray(v) || typeof v === "string" || isMapping(v),
  iterable: (v) => Array.isArray(v) || typeof v === "string" || isMapping(v),
  callable: (v) => isCallable(v),
  lower: (v) => str(v) === str(v).toLowerCase(),
  upper: (v) => str(v) === str(v).toUpperCase(),
  odd: (v) => num(v) % 2 !== 0,
  even: (v) => num(v) % 2 === 0,
  divisibleby: (v, a) => num(v) % num(a(0, "num")) === 0,
  eq: (v, a) => equals(v, a(0, "other")),
  ne: (v, a) => !equals(v, a(0, "other")),
  lt: (v, a) => compare(v, a(0, "other")) < 0,
  le: (v, a) => compare(v, a(0, "other")) <= 0,
  gt: (v, a) => compare(v, a(0, "other")) > 0,
  ge: (v, a) => compare(v, a(0, "other")) >= 0,
  in: (v, a) => contains(a(0, "seq"), v),
  sameas: (v, a) => {
    const other = a(0, "other");
    return v === other || (v instanceof PyFloat && other instanceof PyFloat && v.value === other.value);
  },
  escaped: () => false,
  filter: (v, _a, ctx) => Object.hasOwn(ctx.env.filters, str(v)),
  test: (v, _a, ctx) => Object.hasOwn(ctx.env.tests, str(v)),
  // Results of tasks.
  changed: result("changed"),
  failed: result("failed"),
  skipped: result("skipped"),
  succeeded: (r) => !result("failed")(r),
  finished: (r) => !truthy((isMapping(r) && r.finished === 0) || false),
  started: (r) => !isMapping(r) || r.started !== 0,
  reachable: (r) => !result("unreachable")(r),
  unreachable: result("unreachable"),
  // Text.
  match: (v, a) => regexTest(v, a, "match"),
  search: (v, a) => regexTest(v, a, "search"),
  regex(v, a) {
    const type = str(a(3, "match_type", "search"));
    if (type !== "match" && type !== "search" && type !== "fullmatch") throw new TemplateError(`regex: unknown match_type '${type}'`);
    return regexTest(v, a, type);
  },
  version,
  truthy: (v, a) => (truthy(a(0, "convert_bool", false)) && typeof v === "string" ? ["yes", "on", "1", "true"].includes(v.toLowerCase()) : truthy(v)),
  falsy: (v, a) => !(truthy(a(0, "convert_bool", false)) && typeof v === "string" ? ["yes", "on", "1", "true"].includes(v.toLowerCase()) : truthy(v)),
  nan: (v) => typeof v === "number" && Number.isNaN(v),
  vault_encrypted: (v) => typeof v === "string" && v.startsWith("$ANSIBLE_VAULT;"),
  // Sets.
  subset: (v, a) => iterate(v).every((x) => contains(iterate(a(0, "b")), x)),
  superset: (v, a) => iterate(a(0, "b")).every((x) => contains(iterate(v), x)),
  contains: (v, a) => contains(v, a(0, "elem")),
  any: (v) => iterate(v).some(truthy),
  all: (v) => iterate(v).every(truthy),
  // Paths on the control machine.
  abs: (v) => isAbsolute(str(v)),
  exists: (v) => existsSync(str(v)),
  file: (v) => statOf(v)?.isFile() ?? false,
  directory: (v) => statOf(v)?.isDirectory() ?? false,
  link: (v) => statOf(v, false)?.isSymbolicLink() ?? false,
  link_exists: (v) => statOf(v, false) !== undefined,
  same_file(v, a) {
    try {
      return realpathSync(str(v)) === realpathSync(str(a(0, "b")));
    } catch {
      return false;
    }
  },
  mount(v) {
    const here = statOf(v, false);
    const parent = statOf(`${str(v)}/..`, false);
    return !!here && !!parent && (here.dev !== parent.dev || here.ino === parent.ino);
  },
};
for (const [alias, name] of Object.entries({
  "==": "eq",
  equalto: "eq",
  "!=": "ne",
  "<": "lt",
  lessthan: "lt",
  "<=": "le",
  ">": "gt",
  greaterthan: "gt",
  ">=": "ge",
  change: "changed",
  failure: "failed",
  success: "succeeded",
  successful: "succeeded",
  skip: "skipped",
  version_compare: "version",
  is_abs: "abs",
  is_file: "file",
  is_dir: "directory",
  is_link: "link",
  is_same_file: "same_file",
  is_mount: "mount",
  issubset: "subset",
  issuperset: "superset",
}))
  TESTS[alias] = TESTS[name];
