/**
 * The filters ansible-core adds to Jinja2's (`ansible/plugins/filter/core.py`,
 * `mathstuff.py`, `urlsplit.py`), with their keyword arguments: data
 * (`combine(recursive=True, list_merge=…)`, `flatten(levels=1)`,
 * `dict2items`, `subelements`), text (`regex_replace(multiline=True)`,
 * `comment`, `quote`, `split`), encodings and hashes, paths, sets and maths.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { homedir } from "node:os";
import { posix } from "node:path";
import * as yaml from "js-yaml";
import { ANSIBLE_YAML_SCHEMA } from "../../load/yaml.ts";
import { TemplateError } from "./errors.ts";
import { attribute } from "./filters.ts";
import { pySplit } from "./methods.ts";
import { pyJson, pyYaml } from "./dump.ts";
import { pythonRegex, pythonReplacement } from "./python-regex.ts";
import { getitem, iterate } from "./members.ts";
import type { Filter } from "./render.ts";
import { contains, equals, isMapping, isNumber, num, own, pyFloat, str, truthy, typeName, Undefined } from "./values.ts";

const flags = (ignorecase: unknown, multiline: unknown, extra = "") =>
  `${truthy(ignorecase ?? false) ? "i" : ""}${truthy(multiline ?? false) ? "m" : ""}${extra}`;

/** Ansible's `bool`: booleans and None pass, `yes`/`on`/`1`/`true` (any case) are true, anything else false. */
function toBool(v: unknown): unknown {
  if (v === null || typeof v === "boolean") return v;
  const s = typeof v === "string" ? v.toLowerCase() : v;
  return ["yes", "on", "1", "true", 1].includes(s as string | number) || (typeof v === "number" && v === 1);
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = own({ ...a });
  for (const k of Object.keys(b)) {
    const x = out[k];
    const y = b[k];
    if (recursive && isMapping(x) && isMapping(y)) out[k] = merge(x, y, recursive, listMerge);
    else if (Array.isArray(x) && Array.isArray(y) && listMerge !== "replace") {
      if (listMerge === "keep") out[k] = x;
      else if (listMerge === "append") out[k] = own([...x, ...y]);
      else if (listMerge === "prepend") out[k] = own([...y, ...x]);
      else if (listMerge === "append_rp") out[k] = own([...x.filter((i) => !y.some((j) => equals(i, j))), ...y]);
      else if (listMerge === "prepend_rp") out[k] = own([...y, ...x.filter((i) => !y.some((j) => equals(i, j)))]);
      else out[k] = y;
    } else out[k] = y;
  }
  return out;
}

function flatten(list: unknown[], levels: number | undefined, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of list) {
    if (skipNulls && (x === null || x === "None")) continue;
    if (Array.isArray(x) && (levels === undefined || levels > 0)) out.push(...flatten(x, levels === undefined ? undefined : levels - 1, skipNulls));
    else out.push(x);
  }
  return out;
}

const COMMENT_STYLES: Record<string, { decoration: string; beginning?: string; end?: string; prefix?: string; postfix?: string }> = {
  plain: { decoration: "# " },
  erlang: { decoration: "% " },
  c: { decoration: "// " },
  cblock: { beginning: "/*", decoration: " * ", end: " */" },
  xml: { beginning: "<!--", decoration: " - ", end: "-->" },
};

/** Ansible's `comment` filter: the text wrapped as a comment block of the given style (its own algorithm, step by step). */
function comment(text: string, kw: Record<string, unknown>, style: string): string {
  const base = COMMENT_STYLES[style];
  if (!base) throw new TemplateError(`comment: unknown style '${style}'`);
  const params: Record<string, unknown> = { ...base, ...kw };
  const decoration = str(params.decoration ?? "");
  const p: Record<string, unknown> = {
    newline: "\n",
    beginning: "",
    prefix: decoration.trimEnd(),
    prefix_count: 1,
    decoration: "",
    postfix: decoration.trimEnd(),
    postfix_count: 1,
    end: "",
    ...params,
  };
  const nl = str(p.newline);
  const deco = str(p.decoration);
  const beginning = str(p.beginning) ? `${str(p.beginning)}${nl}` : "";
  const prefix = str(p.prefix) ? (str(p.prefix) !== nl ? `${str(p.prefix)}${nl}` : nl).repeat(num(p.prefix_count)) : "";
  const body = `${deco}${text.split(nl).join(`${nl}${deco}`)}`.split(`${deco}${nl}`).join(`${deco.trimEnd()}${nl}`);
  const postfix = ["", ...Array.from({ length: num(p.postfix_count) }, () => str(p.postfix))].join(nl);
  const end = str(p.end) ? `${nl}${str(p.end)}` : "";
  return `${beginning}${prefix}${body}${postfix}${end}`;
}

function hashOf(v: unknown, algorithm: string): string {
  const names: Record<string, string> = {
    sha1: "sha1",
    md5: "md5",
    sha224: "sha224",
    sha256: "sha256",
    sha384: "sha384",
    sha512: "sha512",
    blake2b: "blake2b512",
  };
  const name = names[algorithm];
  if (!name) throw new TemplateError(`hash: unsupported algorithm '${algorithm}'`);
  return createHash(name).update(str(v)).digest("hex");
}

/** uuid5 (SHA-1, RFC 4122) of a name in a namespace, as Python's `uuid.uuid5`. */
function uuid5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const h = createHash("sha1")
    .update(Buffer.concat([ns, Buffer.from(name, "utf8")]))
    .digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const BYTE_UNITS = ["B", "K", "M", "G", "T", "P", "E", "Z", "Y"];

function humanReadable(v: unknown, isbits: boolean, unit: unknown): string {
  let n = num(v);
  const suffix = isbits ? "b" : "B";
  let i = 0;
  if (unit !== undefined && unit !== null) i = BYTE_UNITS.indexOf(str(unit)[0].toUpperCase());
  else while (n >= 1024 * 1024 ** i && i < BYTE_UNITS.length - 1) i++;
  n = n / 1024 ** i;
  const label = i === 0 ? suffix : `${BYTE_UNITS[i]}${suffix}`;
  return `${n.toFixed(2)} ${label}`;
}

function humanToBytes(v: unknown, defaultUnit: unknown, isbits: boolean): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGTPEZY]?)(i?)([bB]?)\s*$/i.exec(str(v));
  if (!m) throw new TemplateError(`human_to_bytes: cannot read '${str(v)}'`);
  const unit = (m[2] || (defaultUnit ? str(defaultUnit)[0] : "")).toUpperCase();
  const power = unit ? BYTE_UNITS.indexOf(unit) : 0;
  if (m[4] === "b" && !isbits) throw new TemplateError(`human_to_bytes: '${str(v)}' is in bits; use isbits=True`);
  return Math.round(Number(m[1]) * 1024 ** power);
}

function product(lists: unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>((acc, list) => acc.flatMap((prefix) => list.map((x) => own([...prefix, x]))), [own([])]);
}

function combinations(items: unknown[], r: number): unknown[][] {
  if (r === 0) return [own([])];
  return items.flatMap((x, i) => combinations(items.slice(i + 1), r - 1).map((rest) => own([x, ...rest])));
}

function permutations(items: unknown[], r: number): unknown[][] {
  if (r === 0) return [own([])];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)], r - 1).map((rest) => own([x, ...rest])));
}

function urlsplit(v: unknown, query: unknown): unknown {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(str(v))!;
  const netloc = m[2] ?? "";
  const auth = netloc.includes("@") ? netloc.slice(0, netloc.lastIndexOf("@")) : "";
  const hostport = netloc.slice(netloc.lastIndexOf("@") + 1);
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport)!;
  const parts: Record<string, unknown> = own({
    fragment: m[5] ?? "",
    hostname: hp[1] ? hp[1].replace(/^\[|\]$/g, "").toLowerCase() : null,
    netloc,
    password: auth.includes(":") ? auth.slice(auth.indexOf(":") + 1) : null,
    path: m[3] ?? "",
    port: hp[2] ? Number(hp[2]) : null,
    query: m[4] ?? "",
    scheme: (m[1] ?? "").toLowerCase(),
    username: auth ? auth.split(":")[0] : null,
  });
  if (query === undefined || query === null || query === "") return parts;
  if (!Object.hasOwn(parts, str(query))) throw new TemplateError(`urlsplit: unknown URL component '${str(query)}'`);
  return parts[str(query)];
}

/**
 * Ansible's filters by name (`ansible.builtin.` names are resolved by the environment).
 *
 * @example
 * ANSIBLE_FILTERS.bool("yes", reader([], {}), ctx) // true
 */
export const ANSIBLE_FILTERS: Record<string, Filter> = {
  to_json: (v, a) =>
    pyJson(v, {
      ensureAscii: truthy(a.kwargs.ensure_ascii ?? true),
      sortKeys: truthy(a.kwargs.sort_keys ?? false),
      indent: a.kwargs.indent as number | undefined,
    }),
  to_nice_json: (v, a) =>
    pyJson(v, { indent: num(a(0, "indent", 4)), sortKeys: truthy(a.kwargs.sort_keys ?? true), ensureAscii: truthy(a.kwargs.ensure_ascii ?? true) }),
  from_json: (v) => {
    try {
      return JSON.parse(str(v));
    } catch (e) {
      throw new TemplateError(`from_json: ${(e as Error).message}`);
    }
  },
  to_yaml: (v, a) => pyYaml(v, { nice: truthy(a.kwargs.default_flow_style === false), indent: a.kwargs.indent as number | undefined }),
  to_nice_yaml: (v, a) => pyYaml(v, { nice: true, indent: num(a(0, "indent", 4)) }),
  from_yaml: (v) => (typeof v === "string" ? yaml.load(v, { schema: ANSIBLE_YAML_SCHEMA }) : v),
  from_yaml_all: (v) => own(yaml.loadAll(str(v), { schema: ANSIBLE_YAML_SCHEMA })),
  bool: (v) => toBool(v),
  b64encode: (v) => Buffer.from(str(v), "utf8").toString("base64"),
  b64decode: (v) => Buffer.from(str(v), "base64").toString("utf8"),
  to_uuid: (v, a) => uuid5(str(v), str(a(0, "namespace", "361E6D51-FAEC-444A-9079-341386DA8E2E"))),
  hash: (v, a) => hashOf(v, str(a(0, "hashtype", "sha1"))),
  checksum: (v) => hashOf(v, "sha1"),
  md5: (v) => hashOf(v, "md5"),
  sha1: (v) => hashOf(v, "sha1"),
  regex_replace(v, a) {
    const count = num(a(4, "count", 0));
    const re = pythonRegex(str(a(0, "pattern")), flags(a(2, "ignorecase"), a(3, "multiline"), count === 0 ? "g" : "g"));
    const replace = pythonReplacement(str(a(1, "replacement", "")));
    let done = 0;
    return str(v).replace(re, (...m) => (count && done++ >= count ? (m[0] as string) : replace(...(m as [string, ...unknown[]]))));
  },
  regex_search(v, a) {
    const groups = a.args.slice(1).map(str);
    const re = pythonRegex(str(a(0, "regex")), flags(a.kwargs.ignorecase, a.kwargs.multiline));
    const m = re.exec(str(v));
    if (!m) return null;
    if (!groups.length) return m[0];
    return own(
      groups.map((g) => {
        const ref = /^\\(\d+)$/.exec(g)?.[1] ?? /^\\g<(\w+)>$/.exec(g)?.[1];
        if (ref === undefined) throw new TemplateError(`regex_search: unknown group reference '${g}'`);
        return /^\d+$/.test(ref) ? (m[Number(ref)] ?? null) : (m.groups?.[ref] ?? null);
      }),
    );
  },
  regex_findall(v, a) {
    const re = pythonRegex(str(a(0, "regex")), flags(a(2, "ignorecase"), a(1, "multiline"), "g"));
    return own([...str(v).matchAll(re)].map((m) => (m.length > 2 ? own(m.slice(1).map((g) => g ?? "")) : m.length === 2 ? (m[1] ?? "") : m[0])));
  },
  regex_escape: (v) => str(v).replace(/[^A-Za-z0-9_]/g, (c) => `\\${c}`),
  ternary(v, a) {
    const noneValue = a(2, "none_val", null);
    if (noneValue !== null && v === null) return noneValue;
    return truthy(v) ? a(0, "true_val") : a(1, "false_val");
  },
  mandatory(v, a) {
    if (v instanceof Undefined)
      throw new TemplateError(a(0, "msg", undefined) === undefined ? `Mandatory variable '${v.name}' not defined.` : str(a(0, "msg")), {
        undefinedName: v.name,
      });
    return v;
  },
  comment: (v, a) => comment(str(v), a.kwargs, str(a(0, "style", "plain"))),
  type_debug: (v) => typeName(v),
  combine(v, a) {
    const recursive = truthy(a.kwargs.recursive ?? false);
    const listMerge = str(a.kwargs.list_merge ?? "replace");
    const dicts = [v, ...a.args].flatMap((d) => (Array.isArray(d) ? d : [d]));
    return dicts.reduce<Record<string, unknown>>((acc, d) => {
      if (!isMapping(d)) throw new TemplateError(`combine: expected dicts, got ${typeName(d)}`);
      return merge(acc, d, recursive, listMerge);
    }, own({}));
  },
  extract(v, a) {
    let out = getitem(a(0, "container"), v);
    const more = a(1, "morekeys", undefined);
    for (const k of more === undefined || more === null ? [] : Array.isArray(more) ? more : [more]) out = getitem(out, k);
    return out;
  },
  flatten: (v, a) => {
    const levels = a(0, "levels", undefined);
    return own(flatten(iterate(v), levels === undefined || levels === null ? undefined : num(levels), truthy(a(1, "skip_nulls", true))));
  },
  dict2items(v, a) {
    if (!isMapping(v)) throw new TemplateError(`dict2items requires a dictionary, got ${typeName(v)} instead.`);
    const k = str(a(0, "key_name", "key"));
    const val = str(a(1, "value_name", "value"));
    return own(Object.keys(v).map((key) => own({ [k]: key, [val]: v[key] })));
  },
  items2dict(v, a) {
    const k = str(a(0, "key_name", "key"));
    const val = str(a(1, "value_name", "value"));
    const out: Record<string, unknown> = own({});
    for (const item of iterate(v)) {
      if (!isMapping(item)) throw new TemplateError(`items2dict requires a list of dictionaries, got ${typeName(item)}`);
      out[str(item[k])] = item[val];
    }
    return out;
  },
  subelements(v, a) {
    const path = str(a(0, "subelements"));
    const skipMissing = truthy(a(1, "skip_missing", false));
    const items = isMapping(v) ? Object.keys(v).map((k) => (v as Record<string, unknown>)[k]) : iterate(v);
    const out: unknown[] = [];
    for (const item of items) {
      const sub = attribute(item, path);
      if (sub instanceof Undefined) {
        if (skipMissing) continue;
        throw new TemplateError(`could not find '${path}' key in iterated item '${str(item)}'`);
      }
      for (const s of iterate(sub)) out.push(own([item, s]));
    }
    return own(out);
  },
  zip: (v, a) => {
    const lists = [iterate(v), ...a.args.map(iterate)];
    const n = Math.min(...lists.map((l) => l.length));
    return own(Array.from({ length: n }, (_, i) => own(lists.map((l) => l[i]))));
  },
  zip_longest: (v, a) => {
    const lists = [iterate(v), ...a.args.map(iterate)];
    const n = Math.max(...lists.map((l) => l.length));
    const fill = a.kwargs.fillvalue ?? null;
    return own(Array.from({ length: n }, (_, i) => own(lists.map((l) => (i < l.length ? l[i] : fill)))));
  },
  union: (v, a) => uniqueList([...iterate(v), ...iterate(a(0, "b"))]),
  intersect: (v, a) => uniqueList(iterate(v).filter((x) => contains(iterate(a(0, "b")), x))),
  difference: (v, a) => uniqueList(iterate(v).filter((x) => !contains(iterate(a(0, "b")), x))),
  symmetric_difference(v, a) {
    const x = iterate(v);
    const y = iterate(a(0, "b"));
    return uniqueList([...x.filter((i) => !contains(y, i)), ...y.filter((i) => !contains(x, i))]);
  },
  product: (v, a) => own(product([iterate(v), ...a.args.map(iterate)])),
  permutations: (v, a) => own(permutations(iterate(v), num(a(0, "r", iterate(v).length)))),
  combinations: (v, a) => own(combinations(iterate(v), num(a(0, "r")))),
  log: (v, a) => {
    const base = a(0, "base", undefined);
    const x = real(v, "log");
    return pyFloat(base === undefined ? Math.log(x) : Math.log(x) / Math.log(real(base, "log")));
  },
  pow: (v, a) => pyFloat(real(v, "pow") ** real(a(0, "y"), "pow")),
  root: (v, a) => {
    const base = real(a(0, "base", 2), "root");
    return pyFloat(base === 2 ? Math.sqrt(real(v, "root")) : real(v, "root") ** (1 / base));
  },
  human_readable: (v, a) => humanReadable(real(v, "human_readable"), truthy(a(0, "isbits", false)), a(1, "unit", undefined)),
  human_to_bytes: (v, a) => humanToBytes(v, a(0, "default_unit", undefined), truthy(a(1, "isbits", false))),
  shuffle: (v) => own([...iterate(v)].sort(() => Math.random() - 0.5)),
  split: (v, a) => pySplit(str(v), a(0, "seperator", a.kwargs.separator), num(a(1, "maxsplit", -1))),
  fileglob: (v) => own(fs.globSync(str(v)).filter((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile())),
  basename: (v) => posix.basename(str(v)),
  dirname: (v) => posix.dirname(str(v)),
  expanduser: (v) => str(v).replace(/^~(?=$|\/)/, homedir()),
  expandvars: (v) => str(v).replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a: string, b: string) => process.env[a ?? b] ?? m),
  realpath: (v) => posix.resolve(str(v)),
  relpath: (v, a) => posix.relative(str(a(0, "start", process.cwd())), str(v)),
  splitext: (v) => {
    const s = str(v);
    const ext = posix.extname(s);
    return own([s.slice(0, s.length - ext.length), ext]);
  },
  path_join: (v) => posix.join(...(Array.isArray(v) ? v.map(str) : [str(v)])).replace(/^(?!\/)/, ""),
  quote: (v) => shlexQuote(str(v)),
  urlsplit: (v, a) => urlsplit(v, a(0, "query", "")),
  urldecode: (v) => decodeURIComponent(str(v).replace(/\+/g, " ")),
  strftime(v, a) {
    const seconds = a(0, "second", undefined);
    const date = seconds === undefined || seconds === null ? new Date() : new Date(num(seconds) * 1000);
    const utc = truthy(a(1, "utc", false));
    return strftime(str(v), date, utc);
  },
};

/** Python's `shlex.quote`, which Ansible's `quote` is. */
function shlexQuote(s: string): string {
  if (s === "") return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** The maths filters take numbers only, as Python's math module does. */
function real(v: unknown, filter: string): number {
  if (!isNumber(v)) throw new TemplateError(`${filter}() can only be used on numbers: must be real number, not ${typeName(v)}`);
  return num(v);
}

function uniqueList(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of items) if (!out.some((y) => equals(x, y))) out.push(x);
  return own(out);
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/**
 * A date's calendar parts in local time or UTC (`month` from 0, `weekday` from Sunday), for
 * `strftime` and the `now()` global.
 *
 * @example
 * dateParts(new Date(0), true).year // 1970
 */
export function dateParts(d: Date, utc: boolean) {
  return utc
    ? {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth(),
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
        second: d.getUTCSeconds(),
        weekday: d.getUTCDay(),
      }
    : { year: d.getFullYear(), month: d.getMonth(), day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds(), weekday: d.getDay() };
}

/** Python's `time.strftime` for the directives roles use. */
function strftime(format: string, d: Date, utc: boolean): string {
  const { year: Y, month: m, day, hour: H, minute: M, second: S, weekday: w } = dateParts(d, utc);
  const p2 = (n: number) => String(n).padStart(2, "0");
  const start = Date.UTC(Y, 0, 1);
  const j = Math.floor((Date.UTC(Y, m, day) - start) / 86400000) + 1;
  const table: Record<string, string> = {
    Y: String(Y),
    y: p2(Y % 100),
    m: p2(m + 1),
    d: p2(day),
    H: p2(H),
    I: p2(H % 12 || 12),
    M: p2(M),
    S: p2(S),
    p: H < 12 ? "AM" : "PM",
    a: DAYS[w].slice(0, 3),
    A: DAYS[w],
    b: MONTHS[m].slice(0, 3),
    B: MONTHS[m],
    j: String(j).padStart(3, "0"),
    w: String(w),
    s: String(Math.floor(d.getTime() / 1000)),
    Z: utc ? "UTC" : "",
    z: utc ? "+0000" : "",
    "%": "%",
  };
  return format.replace(/%([A-Za-z%])/g, (whole, c: string) => table[c] ?? whole);
}
