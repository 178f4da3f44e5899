/**
 * A role's argument specification (`meta/argument_specs.yml`, or
 * `argument_specs` in `meta/main.yml`) and the check Ansible makes with it
 * before the role's first task: each option the spec names is taken from
 * the role's variables and checked — present when `required`, of its `type`
 * (with Ansible's conversions: `"8080"` is an int, `"yes"` a bool, `"a,b"` a
 * list), among its `choices`, its `elements` and sub-`options` in turn. The
 * messages are ansible-core's (module_utils/common/parameters.py).
 */
import type { Vars } from "../vars.ts";
import { repr, str } from "../template/jinja/values.ts";
import { booleanWord } from "./ansible-arguments.ts";

/** One option of a spec, as Ansible's argument spec writes it. */
export interface OptionSpec {
  type?: string;
  required?: boolean;
  default?: unknown;
  choices?: unknown[];
  elements?: string;
  options?: Record<string, OptionSpec>;
}

/** One entry point of a role's spec (`main`, or a `tasks_from` name). */
export interface EntryPointSpec {
  short_description?: string;
  options?: Record<string, OptionSpec>;
}

const BOOLEAN_WORDS = "0, 't', 'true', 1, 'off', 'y', 'n', 'yes', 'f', 'no', '1', 'false', 'on', '0'";

/** A dict given as text: JSON (`{…}`) or `key=value` words, as ansible-core's check_type_dict reads it. */
function dictFromText(text: string): Vars {
  if (text.trim().startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      throw new TypeError("dictionary requested, could not parse JSON or key=value");
    }
  }
  const words = text.split(/[\s,]+/).filter(Boolean);
  if (!words.length || !words.every((w) => w.includes("="))) throw new TypeError("dictionary requested, could not parse JSON or key=value");
  return Object.fromEntries(words.map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]));
}

/** Python's type name of a value, as ansible-core 2.19's messages print it. */
function pyType(v: unknown): string {
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return Number.isInteger(v) ? "int" : "float";
  return Array.isArray(v) ? "list" : "dict";
}

/** ansible-core's refusal of a conversion. */
const refuse = (v: unknown, to: string) => new TypeError(`"${repr(v)}" cannot be converted to ${to}`);

/** Ansible's `check_type_*`: the converted value, or throws the reason it cannot be. */
function convert(value: unknown, type: string): unknown {
  switch (type) {
    case "str":
    case "path":
    case "raw":
    case "json":
    case "jsonarg":
    case "bytes":
    case "bits":
      return type === "raw" ? value : typeof value === "string" ? value : str(value);
    case "int":
      if (typeof value === "boolean") return value;
      if (typeof value === "number" && Number.isInteger(value)) return value;
      if (typeof value === "string" && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value);
      throw refuse(value, "an int");
    case "float":
      if (typeof value === "number") return value;
      if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
      // ansible-core's check_type_float names the value's class, not its value.
      throw new TypeError(`<class '${pyType(value)}'> cannot be converted to a float`);
    case "bool": {
      if (typeof value === "boolean") return value;
      const word = typeof value === "string" ? booleanWord(value) : value === 1 ? true : value === 0 ? false : undefined;
      if (word !== undefined) return word;
      // ansible-core lists the valid words in a Python set's order, which changes from run to run.
      if (typeof value === "string" || typeof value === "number")
        throw new TypeError(`The value ${repr(value)} is not a valid boolean. Valid booleans include: ${BOOLEAN_WORDS}`);
      throw refuse(value, "a bool");
    }
    case "list":
      if (Array.isArray(value)) return value;
      if (typeof value === "string") return value.split(",");
      if (typeof value === "number") return [String(value)];
      throw refuse(value, "a list");
    case "dict":
      if (value && typeof value === "object" && !Array.isArray(value)) return value;
      if (typeof value === "string") return dictFromText(value);
      throw refuse(value, "a dict");
    default:
      throw new TypeError(`unknown type ${type}`);
  }
}

/**
 * What Ansible's validation says of `values` under `options`; empty when they hold.
 *
 * @example
 * validateOptions({ port: { type: "int", required: true }, state: { choices: ["present", "absent"] } }, { port: "x", state: "gone" })
 * // ["argument 'port' is of type str and we were unable to convert to int: \"'x'\" cannot be converted to an int",
 * //  "value of state must be one of: present, absent, got: gone"]
 */
export function validateOptions(options: Record<string, OptionSpec>, values: Vars, context: string[] = []): string[] {
  const errors: string[] = [];
  const found = context.length ? ` found in ${context.join(" -> ")}` : "";
  const missing = Object.entries(options)
    .filter(([name, o]) => o.required && !(name in values))
    .map(([name]) => name)
    .sort();
  if (missing.length) errors.push(`missing required arguments: ${missing.join(", ")}${found}`);
  const at = context.length ? ` found in '${context.join(" -> ")}'.` : "";
  const checked: Vars = {};
  for (const [name, o] of Object.entries(options)) {
    if (!(name in values)) continue;
    const value = values[name];
    if ((value === null || value === undefined) && !o.required && o.default == null) continue;
    const type = o.type ?? "str";
    try {
      checked[name] = convert(value, type);
      if (o.elements && Array.isArray(checked[name]))
        checked[name] = (checked[name] as unknown[]).map((e) => {
          try {
            return convert(e, o.elements!);
          } catch (err) {
            errors.push(
              `Elements value for option '${name}'${at} is of type ${pyType(e)} and we were unable to convert to ${o.elements}: ${(err as Error).message}`,
            );
            return e;
          }
        });
    } catch (err) {
      errors.push(`argument '${name}' is of type ${pyType(value)}${at} and we were unable to convert to ${type}: ${(err as Error).message}`);
    }
  }
  for (const [name, o] of Object.entries(options)) {
    if (!(name in checked) || !o.choices) continue;
    const v = checked[name];
    const shown = o.choices.map((c) => str(c)).join(", ");
    if (Array.isArray(v)) {
      const bad = v.filter((e) => !o.choices!.some((c) => str(c) === str(e)));
      if (bad.length) errors.push(`value of ${name} must be one or more of: ${shown}. Got no match for: ${bad.map((b) => str(b)).join(", ")}${found}`);
    } else if (!o.choices.some((c) => c === v || str(c) === str(v))) errors.push(`value of ${name} must be one of: ${shown}, got: ${str(v)}${found}`);
  }
  for (const [name, o] of Object.entries(options)) {
    if (!o.options || !(name in checked)) continue;
    const v = checked[name];
    const items = Array.isArray(v) ? v : [v];
    items.forEach((item) => {
      if (item && typeof item === "object" && !Array.isArray(item)) errors.push(...validateOptions(o.options!, item as Vars, [...context, name]));
    });
  }
  return errors;
}
