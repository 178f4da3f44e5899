/**
 * Python's `json.dumps` as Ansible's `to_json`/`to_nice_json` call it
 * (`", "` and `": "` separators, ASCII escapes, `2.0` for floats), and
 * `to_yaml`/`to_nice_yaml` through js-yaml with PyYAML's layout where the
 * two differ in what roles print (lists not indented under their key, flow
 * style for collections of scalars in `to_yaml`).
 */
import * as yaml from "js-yaml";
import { TemplateError } from "./errors.ts";
import { floatRepr, isMapping, PyFloat, Undefined } from "./values.ts";

/** Options of Python's json.dumps that Ansible's filters pass. */
export interface JsonOptions {
  indent?: number;
  sortKeys?: boolean;
  ensureAscii?: boolean;
  separators?: [string, string];
}

const jsonString = (s: string, ascii: boolean): string =>
  JSON.stringify(s).replace(ascii ? /[\u007f-\uffff]/g : /[\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * `json.dumps(value, …)` as Python writes it.
 *
 * @example
 * pyJson({ a: [1, "é"] }, {}) // '{"a": [1, "\\u00e9"]}'
 */
export function pyJson(value: unknown, options: JsonOptions): string {
  const ascii = options.ensureAscii ?? true;
  const indent = options.indent;
  const [itemSep, keySep] = options.separators ?? (indent === undefined ? [", ", ": "] : [",", ": "]);
  const write = (v: unknown, depth: number): string => {
    if (v instanceof Undefined) v.fail();
    if (v === null || v === undefined) return "null";
    if (v === true) return "true";
    if (v === false) return "false";
    if (v instanceof PyFloat) return floatRepr(v.value);
    if (typeof v === "number") {
      if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      return Number.isInteger(v) ? String(v) : floatRepr(v);
    }
    if (typeof v === "string") return jsonString(v, ascii);
    const open = indent === undefined ? "" : `\n${" ".repeat(indent * (depth + 1))}`;
    const close = indent === undefined ? "" : `\n${" ".repeat(indent * depth)}`;
    const sep = indent === undefined ? itemSep : `${itemSep}\n${" ".repeat(indent * (depth + 1))}`;
    if (Array.isArray(v)) return v.length ? `[${open}${v.map((x) => write(x, depth + 1)).join(sep)}${close}]` : "[]";
    if (isMapping(v)) {
      const keys = Object.keys(v);
      if (options.sortKeys) keys.sort();
      if (!keys.length) return "{}";
      return `{${open}${keys.map((k) => `${jsonString(k, ascii)}${keySep}${write(v[k], depth + 1)}`).join(sep)}${close}}`;
    }
    throw new TemplateError(`Object of type ${typeof v} is not JSON serializable`);
  };
  return write(value, 0);
}

/** Plain data for js-yaml: boxed floats unboxed. */
function plain(v: unknown): unknown {
  if (v instanceof Undefined) v.fail();
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(plain);
  if (isMapping(v)) return Object.fromEntries(Object.keys(v).map((k) => [k, plain(v[k])]));
  return v;
}

const isScalar = (v: unknown) => v === null || typeof v !== "object";

/**
 * `to_yaml` (flow style for collections of scalars, PyYAML's `default_flow_style=None`) or
 * `to_nice_yaml` (block style, `indent` spaces).
 *
 * @example
 * pyYaml({ a: [1, 2] }, { nice: false }) // "a: [1, 2]\n"
 */
export function pyYaml(value: unknown, options: { nice: boolean; indent?: number }): string {
  const data = plain(value);
  return yaml.dump(data, {
    indent: options.indent ?? (options.nice ? 4 : 2),
    seqNoIndent: true,
    lineWidth: 80,
    // PyYAML sorts keys unless told not to.
    sortKeys: true,
    // PyYAML puts a collection of scalars in flow style unless told otherwise; js-yaml's flowLevel counts depth.
    flowLevel: options.nice ? -1 : leafFlowLevel(data),
    quoteStyle: "single",
  });
}

/** The depth from which every collection holds only scalars (so flow style there matches PyYAML's default). */
function leafFlowLevel(v: unknown, depth = 0): number {
  if (isScalar(v)) return -1;
  const children = Array.isArray(v) ? v : Object.values(v as object);
  if (children.every(isScalar)) return depth;
  const levels = children.filter((c) => !isScalar(c)).map((c) => leafFlowLevel(c, depth + 1));
  return Math.max(...levels);
}
