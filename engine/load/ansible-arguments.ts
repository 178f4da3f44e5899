/**
 * Module arguments as Ansible converts them before a module sees them: a
 * boolean argument takes `yes`, `no`, `on`, `off`, `true`, `1`, `y`, `t`…
 * in any case (Ansible's `BOOLEANS_TRUE`/`BOOLEANS_FALSE`), and an integer or
 * number argument takes a string of digits, as `key=value` forms always give
 * (`cache_valid_time=86400`); a number where only text is taken becomes text
 * (`content: "{{ port }}"`). Only what the schema types as boolean or number,
 * and does not also accept as a string, is converted; anything else is left
 * for the schema to refuse with its message. A property's `aliases` (a
 * schema keyword of hoist's) are Ansible's other names for the argument
 * (`dest` and `name` for lineinfile's `path`).
 */
import type { Vars } from "../vars.ts";

const TRUE = new Set(["y", "yes", "on", "1", "true", "t"]);
const FALSE = new Set(["n", "no", "off", "0", "false", "f"]);

/**
 * A word as Ansible's `boolean()` reads it (`BOOLEANS_TRUE`/`BOOLEANS_FALSE`, any case, spaces
 * around ignored); undefined for a word that is neither.
 *
 * @example
 * booleanWord(" Yes ") // true
 */
export function booleanWord(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  return TRUE.has(word) ? true : FALSE.has(word) ? false : undefined;
}

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  oneOf?: Schema[];
  aliases?: readonly string[];
  unimplemented?: Unimplemented;
  [keyword: string]: unknown;
};

/**
 * A schema keyword of hoist's, on a property: an argument of the Ansible module that hoist does not
 * implement. It loads (roles carry it in tasks for other systems); a host that reaches it with a value
 * other than the harmless ones (Ansible's defaults, or what hoist does anyway) fails, saying why.
 *
 * @example
 * const enablerepo = { unimplemented: { why: "a dnf/yum option" } };
 */
export interface Unimplemented {
  why: string;
  /** Values that ask for nothing hoist does not do already. */
  harmless?: readonly unknown[];
}

/**
 * The first argument given that hoist does not implement, as a message; undefined when there is none.
 *
 * @example
 * unimplementedArgument({ properties: { enablerepo: { unimplemented: { why: "dnf only" } } } }, { enablerepo: "epel" })
 * // "argument 'enablerepo' is not implemented by hoist (dnf only)"
 */
export function unimplementedArgument(schema: Schema, args: Vars): string | undefined {
  for (const [key, value] of Object.entries(args)) {
    const u = schema.properties?.[key]?.unimplemented;
    if (u && !(u.harmless ?? []).some((h) => h === value)) return `argument '${key}' is not implemented by hoist (${u.why})`;
  }
  return undefined;
}

/** The JSON types a property accepts, anyOf/oneOf branches included. */
function typesOf(schema: Schema | undefined): Set<string> {
  const out = new Set<string>();
  if (!schema) return out;
  for (const t of ([] as string[]).concat(schema.type ?? [])) out.add(t);
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) for (const t of typesOf(branch)) out.add(t);
  return out;
}

function convert(value: unknown, schema: Schema | undefined): unknown {
  const types = typesOf(schema);
  if (typeof value === "string" && !types.has("string") && !value.includes("{{")) {
    const word = booleanWord(value);
    if (types.has("boolean") && word !== undefined) return word;
    if (types.has("integer") && /^[+-]?\d+$/.test(value.trim())) return Number(value.trim());
    if (types.has("number") && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  }
  // A number or boolean where only text is taken becomes its text, as Ansible's `type='str'` does (Python's spelling).
  if ((typeof value === "number" || typeof value === "boolean") && types.size > 0 && [...types].every((t) => t === "string"))
    return typeof value === "boolean" ? (value ? "True" : "False") : String(value);
  if (typeof value === "number" && types.has("boolean") && !types.has("number") && !types.has("integer") && (value === 0 || value === 1)) return value === 1;
  // A list argument given as text is its comma-separated parts, and a number is a one-element list (Ansible's `type='list'`).
  if (types.has("array") && !types.has("string") && typeof value === "string" && !value.includes("{{"))
    return value.split(",").map((v) => convert(v, schema?.items as Schema));
  if (types.has("array") && !types.has("number") && !types.has("integer") && typeof value === "number") return [convert(value, schema?.items as Schema)];
  if (Array.isArray(value) && schema?.items && typeof schema.items === "object") return value.map((v) => convert(v, schema.items as Schema));
  if (value && typeof value === "object" && !Array.isArray(value) && schema?.properties) return convertArguments(schema, value as Vars);
  return value;
}

/**
 * A copy of `args` with Ansible's conversions applied where `schema` asks for a boolean or a number.
 *
 * @example
 * convertArguments({ properties: { update_cache: { type: "boolean" } } }, { update_cache: "yes" }) // { update_cache: true }
 */
export function convertArguments(schema: Schema, args: Vars): Vars {
  const out: Vars = { ...args };
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    for (const alias of property.aliases ?? []) {
      if (!(alias in out)) continue;
      if (name in out) throw new Error(`'${alias}' and '${name}' are one argument (${alias} is another name for ${name}); give one`);
      out[name] = out[alias];
      delete out[alias];
    }
  }
  for (const [key, value] of Object.entries(out)) out[key] = convert(value, schema.properties?.[key]);
  return out;
}
