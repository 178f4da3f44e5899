/**
 * Jinja2's built-in filters (`jinja2/filters.py`), with their keyword
 * arguments and Python's results: `round` rounds half to even and gives a
 * float, `int('3.5')` is 3, `sort`, `unique`, `min` and `max` ignore case
 * unless told otherwise, `first` of nothing is undefined.
 */
import { TemplateError } from "./errors.ts";
import { printf } from "./format.ts";
import { getattr, getitem, iterate } from "./members.ts";
import { runFilter, runTest, type ArgReader, type Filter, type RenderContext } from "./render.ts";
import { pyJson } from "./dump.ts";
import { compare, defined, equals, tuple, isFloat, isMapping, isNumber, num, own, pyFloat, PyFloat, repr, str, truthy, Undefined } from "./values.ts";

/** `attribute` may be dotted (`a.b`) or an index (`0`), as Jinja2's `make_attrgetter` reads it. */
export function attribute(item: unknown, path: unknown): unknown {
  let cur = item;
  for (const part of String(path).split(".")) cur = /^\d+$/.test(part) ? getitem(cur, Number(part)) : getattr(cur, part);
  return cur;
}

/** A key for case-insensitive comparison when asked. */
const folded = (v: unknown, caseSensitive: unknown) => (typeof v === "string" && !truthy(caseSensitive ?? false) ? v.toLowerCase() : v);

function sortBy<T>(items: T[], key: (x: T) => unknown, reverse: boolean): T[] {
  const sorted = [...items].sort((a, b) => compare(key(a), key(b)));
  return own(reverse ? sorted.reverse() : sorted);
}

/**
 * Python's `round`: correctly rounded from the float's exact value (so 2.675 rounds down: it is
 * 2.67499… in binary), and an exact tie goes to the even digit.
 */
export function roundHalfEven(n: number, precision: number): number {
  const p = Math.max(0, Math.min(40, precision));
  // toFixed is exact on the binary value; only an exact tie needs Python's rule (to even).
  const exact = Math.abs(n).toFixed(p + 60);
  const cut = exact.indexOf(".") + 1 + p;
  if (/^50*$/.test(exact.slice(cut))) {
    const kept = exact.slice(0, cut).replace(/\.$/, "");
    const lastDigit = Number(kept[kept.length - 1]);
    const magnitude = Number(kept) + (lastDigit % 2 === 0 ? 0 : 10 ** -p);
    return Math.sign(n) * Number(magnitude.toFixed(p));
  }
  return Number(n.toFixed(p));
}

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(/'/g, "&#39;");

function toInt(v: unknown, fallback: unknown, base: number): unknown {
  if (typeof v === "string") {
    const s = v.trim().replace(/_/g, "");
    if (base === 10 && /^[+-]?\d+$/.test(s)) return Number(s);
    if (base !== 10) {
      const body = s.replace(/^[+-]?0[xob]/i, "");
      const n = Number.parseInt(body, base);
      if (!Number.isNaN(n) && /^[0-9a-z]+$/i.test(body)) return s.startsWith("-") ? -n : n;
    }
    const f = Number(s);
    return s !== "" && Number.isFinite(f) ? Math.trunc(f) : fallback;
  }
  if (isNumber(v)) return Math.trunc(num(v));
  return fallback;
}

function toFloat(v: unknown, fallback: unknown): unknown {
  if (isNumber(v)) return pyFloat(num(v));
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "nan" || s === "inf" || s === "-inf" || s === "infinity") return Number(s.replace("inf", "Infinity").replace("infinityinity", "Infinity"));
    const f = Number(s.replace(/_/g, ""));
    if (s !== "" && !Number.isNaN(f)) return pyFloat(f);
  }
  return fallback;
}

/** Items for `select`/`map`-like filters, and the test or filter they name. */
function selectOrReject(value: unknown, arg: ArgReader, ctx: RenderContext, keep: boolean, byAttribute: boolean): unknown[] {
  const items = iterate(value);
  const [first, ...rest] = arg.args;
  const attr = byAttribute ? first : undefined;
  const [testName, ...testArgs] = byAttribute ? rest : arg.args;
  return own(
    items.filter((item) => {
      const subject = byAttribute ? attribute(item, attr) : item;
      const ok = testName === undefined ? truthy(subject) : runTest(ctx, String(testName), subject, testArgs);
      return ok === keep;
    }),
  );
}

function wordwrap(s: string, width: number, breakLong: boolean, wrapstring: string): string {
  return s
    .split(/\r?\n/)
    .map((paragraph) => {
      const words = paragraph.split(/\s+/).filter(Boolean);
      const lines: string[] = [];
      let line = "";
      for (let word of words) {
        while (breakLong && word.length > width) {
          if (line) {
            lines.push(line);
            line = "";
          }
          lines.push(word.slice(0, width));
          word = word.slice(width);
        }
        if (!line) line = word;
        else if (line.length + 1 + word.length <= width) line += ` ${word}`;
        else {
          lines.push(line);
          line = word;
        }
      }
      if (line) lines.push(line);
      return lines.join(wrapstring);
    })
    .join(wrapstring);
}

/**
 * Jinja2's filters by name.
 *
 * @example
 * JINJA_FILTERS.upper("a", reader([], {}), ctx) // "A"
 */
export const JINJA_FILTERS: Record<string, Filter> = {
  abs: (v) => (v instanceof PyFloat ? new PyFloat(Math.abs(v.value)) : Math.abs(num(v))),
  attr: (v, a) => getattr(v, String(a(0, "name"))),
  batch(v, a) {
    const size = num(a(0, "linecount"));
    const fill = a(1, "fill_with", undefined);
    const items = iterate(v);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(own(items.slice(i, i + size)));
    const last = out[out.length - 1];
    if (fill !== undefined && fill !== null && last) while (last.length < size) last.push(fill);
    return own(out);
  },
  capitalize: (v) => {
    const s = str(v);
    return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  },
  center(v, a) {
    const s = str(v);
    const width = num(a(0, "width", 80));
    const missing = Math.max(0, width - s.length);
    const left = Math.floor(missing / 2) + (missing % 2 && width % 2 ? 1 : 0);
    return " ".repeat(left) + s + " ".repeat(missing - left);
  },
  default(v, a) {
    const fallback = a(0, "default_value", "");
    const boolean = truthy(a(1, "boolean", false));
    return v instanceof Undefined || (boolean && !truthy(v)) ? fallback : v;
  },
  dictsort(v, a) {
    if (!isMapping(v)) throw new TemplateError("dictsort: a mapping is required");
    const byValue = a(1, "by", "key") === "value";
    const items = Object.keys(v).map((k) => own([k, v[k]]));
    return sortBy(items, (p) => folded(p[byValue ? 1 : 0], a(0, "case_sensitive", false)), truthy(a(2, "reverse", false)));
  },
  escape: (v) => escapeHtml(str(v)),
  filesizeformat(v, a) {
    const bytes = num(toFloat(v, 0));
    const binary = truthy(a(0, "binary", false));
    const base = binary ? 1024 : 1000;
    const prefixes = binary ? ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"] : ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    if (bytes === 1) return "1 Byte";
    if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
    let i = 0;
    let unit = base * base;
    while (i < prefixes.length - 1 && bytes >= unit) {
      i++;
      unit *= base;
    }
    return `${((base * bytes) / unit).toFixed(1)} ${prefixes[i]}`;
  },
  first: (v) => {
    const items = iterate(v);
    return items.length ? items[0] : new Undefined("first", "No first item, sequence was empty.");
  },
  float: (v, a) => toFloat(v, a(0, "default", new PyFloat(0))),
  forceescape: (v) => escapeHtml(str(v)),
  format: (v, a) => printf(str(v), Object.keys(a.kwargs).length ? a.kwargs : tuple([...a.args])),
  groupby(v, a) {
    const attr = a(0, "attribute");
    const fallback = a(1, "default", undefined);
    const key = (x: unknown) => {
      const k = attribute(x, attr);
      return k instanceof Undefined && fallback !== undefined ? fallback : defined(k);
    };
    const groups: [unknown, unknown[]][] = [];
    for (const item of sortBy(iterate(v), (x) => folded(key(x), a(2, "case_sensitive", false)), false)) {
      const k = key(item);
      const last = groups[groups.length - 1];
      if (last && equals(folded(last[0], a(2, "case_sensitive", false)), folded(k, a(2, "case_sensitive", false)))) last[1].push(item);
      else groups.push([k, own([item])]);
    }
    return own(groups.map((g) => own(g)));
  },
  indent(v, a) {
    const width = a(0, "width", 4);
    const indention = typeof width === "string" ? width : " ".repeat(num(width));
    const first = truthy(a(1, "first", false));
    const blank = truthy(a(2, "blank", false));
    const lines = `${str(v)}\n`.split(/\r\n|\r|\n/);
    lines.pop();
    let rv: string;
    if (blank) rv = lines.join(`\n${indention}`);
    else rv = [lines[0] ?? "", ...lines.slice(1).map((l) => (l ? indention + l : l))].join("\n");
    return first ? indention + rv : rv;
  },
  int: (v, a) => toInt(v, a(0, "default", 0), num(a(1, "base", 10))),
  items: (v) => (isMapping(v) ? own(Object.keys(v).map((k) => own([k, v[k]]))) : own([])),
  join(v, a) {
    const attr = a(1, "attribute", undefined);
    return iterate(v)
      .map((x) => str(attr === undefined || attr === null ? x : attribute(x, attr)))
      .join(str(a(0, "d", "")));
  },
  last: (v) => {
    const items = iterate(v);
    return items.length ? items[items.length - 1] : new Undefined("last", "No last item, sequence was empty.");
  },
  length: (v) => (isMapping(v) ? Object.keys(v).length : iterate(v).length),
  list: (v) => own([...iterate(v)]),
  lower: (v) => str(v).toLowerCase(),
  map(v, a, ctx) {
    const items = iterate(v);
    if (Object.hasOwn(a.kwargs, "attribute")) {
      const fallback = a.kwargs.default;
      return own(
        items.map((x) => {
          const got = attribute(x, a.kwargs.attribute);
          return got instanceof Undefined && fallback !== undefined ? fallback : got;
        }),
      );
    }
    const [name, ...rest] = a.args;
    const { attribute: _a, default: _d, ...kwargs } = a.kwargs;
    return own(items.map((x) => runFilter(ctx, String(name), x, rest, kwargs)));
  },
  max: (v, a) => extreme(v, a, 1),
  min: (v, a) => extreme(v, a, -1),
  pprint: (v) => repr(v),
  random: (v) => {
    const items = iterate(v);
    return items[Math.floor(Math.random() * items.length)];
  },
  reject: (v, a, ctx) => selectOrReject(v, a, ctx, false, false),
  rejectattr: (v, a, ctx) => selectOrReject(v, a, ctx, false, true),
  replace(v, a) {
    const s = str(v);
    const old = str(a(0, "old"));
    const rep = str(a(1, "new"));
    const count = a(2, "count", undefined);
    if (count === undefined || count === null) return s.split(old).join(rep);
    const parts = s.split(old);
    const n = num(count);
    return parts.slice(0, n + 1).join(rep) + (parts.length > n + 1 ? old + parts.slice(n + 1).join(old) : "");
  },
  reverse: (v) => (typeof v === "string" ? [...v].reverse().join("") : own([...iterate(v)].reverse())),
  round(v, a) {
    const precision = num(a(0, "precision", 0));
    const method = a(1, "method", "common");
    const n = num(v);
    const factor = 10 ** precision;
    const r = method === "ceil" ? Math.ceil(n * factor) / factor : method === "floor" ? Math.floor(n * factor) / factor : roundHalfEven(n, precision);
    return pyFloat(r);
  },
  safe: (v) => v,
  select: (v, a, ctx) => selectOrReject(v, a, ctx, true, false),
  selectattr: (v, a, ctx) => selectOrReject(v, a, ctx, true, true),
  slice(v, a) {
    const items = iterate(v);
    const slices = num(a(0, "slices"));
    const fill = a(1, "fill_with", undefined);
    const per = Math.floor(items.length / slices);
    const extra = items.length % slices;
    const out: unknown[][] = [];
    let offset = 0;
    for (let i = 0; i < slices; i++) {
      const size = per + (i < extra ? 1 : 0);
      const part = items.slice(offset, offset + size);
      offset += size;
      if (fill !== undefined && fill !== null && i >= extra && extra) part.push(fill);
      out.push(own(part));
    }
    return own(out);
  },
  sort(v, a) {
    const attr = a(2, "attribute", undefined);
    return sortBy(
      iterate(v),
      (x) => folded(attr === undefined || attr === null ? x : attribute(x, attr), a(1, "case_sensitive", false)),
      truthy(a(0, "reverse", false)),
    );
  },
  string: (v) => str(v),
  striptags: (v) =>
    str(v)
      .replace(/<!--[\s\S]*?-->|<[^>]*>/g, "")
      .replace(/\s+/g, " ")
      .trim(),
  sum(v, a) {
    const attr = a(0, "attribute", undefined);
    let total: unknown = a(1, "start", 0);
    for (const x of iterate(v)) {
      const item = attr === undefined || attr === null ? x : attribute(x, attr);
      total = isFloat(total) || isFloat(item) ? pyFloat(num(total) + num(item)) : num(defined(total)) + num(defined(item));
    }
    return total;
  },
  title: (v) =>
    str(v)
      .split(/([-\s({[<]+)/)
      .map((w) => (w ? w.charAt(0).toUpperCase() + w.slice(1).toLowerCase() : w))
      .join(""),
  tojson: (v, a) =>
    pyJson(v, { sortKeys: true, indent: a(0, "indent", undefined) as number | undefined })
      .replace(/</g, "\\u003c")
      .replace(/>/g, "\\u003e")
      .replace(/&/g, "\\u0026")
      .replace(/'/g, "\\u0027"),
  trim(v, a) {
    const chars = a(0, "chars", undefined);
    const s = str(v);
    if (chars === undefined || chars === null) return s.trim();
    const set = new Set(str(chars));
    let i = 0;
    let j = s.length;
    while (i < j && set.has(s[i])) i++;
    while (j > i && set.has(s[j - 1])) j--;
    return s.slice(i, j);
  },
  truncate(v, a) {
    const s = str(v);
    const length = num(a(0, "length", 255));
    const killwords = truthy(a(1, "killwords", false));
    const end = str(a(2, "end", "..."));
    const leeway = num(a(3, "leeway", 5));
    if (s.length <= length + leeway) return s;
    if (killwords) return s.slice(0, length - end.length) + end;
    const cut = s.slice(0, length - end.length);
    const space = cut.lastIndexOf(" ");
    return (space < 0 ? cut : cut.slice(0, space)) + end;
  },
  unique(v, a) {
    const attr = a(1, "attribute", undefined);
    const seen: unknown[] = [];
    const out: unknown[] = [];
    for (const x of iterate(v)) {
      const key = folded(attr === undefined || attr === null ? x : attribute(x, attr), a(0, "case_sensitive", false));
      if (!seen.some((s) => equals(s, key))) {
        seen.push(key);
        out.push(x);
      }
    }
    return own(out);
  },
  upper: (v) => str(v).toUpperCase(),
  urlencode(v) {
    const enc = (s: unknown) =>
      encodeURIComponent(str(s))
        .replace(/%2F/g, "/")
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    if (isMapping(v))
      return Object.keys(v)
        .map((k) => `${enc(k)}=${enc(v[k])}`)
        .join("&");
    if (Array.isArray(v)) return v.map((p) => `${enc((p as unknown[])[0])}=${enc((p as unknown[])[1])}`).join("&");
    return enc(v);
  },
  wordcount: (v) => (str(v).match(/\w+/gu) ?? []).length,
  wordwrap: (v, a) => wordwrap(str(v), num(a(0, "width", 79)), truthy(a(1, "break_long_words", true)), str(a(2, "wrapstring", "\n"))),
  xmlattr(v, a) {
    if (!isMapping(v)) throw new TemplateError("xmlattr: a mapping is required");
    const parts = Object.keys(v)
      .filter((k) => v[k] !== null && !(v[k] instanceof Undefined))
      .map((k) => `${escapeHtml(k)}="${escapeHtml(str(v[k]))}"`);
    const text = parts.join(" ");
    return text && truthy(a(0, "autospace", true)) ? ` ${text}` : text;
  },
};
JINJA_FILTERS.d = JINJA_FILTERS.default;
JINJA_FILTERS.e = JINJA_FILTERS.escape;
JINJA_FILTERS.count = JINJA_FILTERS.length;

function extreme(v: unknown, a: ArgReader, sign: 1 | -1): unknown {
  const attr = a(1, "attribute", undefined);
  const caseSensitive = a(0, "case_sensitive", false);
  const items = iterate(v);
  if (!items.length) return new Undefined(sign > 0 ? "max" : "min", "No aggregated item, sequence was empty.");
  const key = (x: unknown) => folded(attr === undefined || attr === null ? x : attribute(x, attr), caseSensitive);
  return items.reduce((best, x) => (compare(key(x), key(best)) * sign > 0 ? x : best));
}
