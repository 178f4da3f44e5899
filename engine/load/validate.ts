/**
 * JSON Schema validation (ajv) that reports errors the way hoist promises:
 * file, line and column, what was expected, and the nearest valid name for a
 * misspelt key or value.
 */
import { createRequire } from "node:module";
import type AjvModule from "ajv";
import type { ErrorObject, Options, ValidateFunction } from "ajv";
import { InputError, didYouMean } from "../errors.ts";
import type { Located, Path } from "./yaml.ts";
import { isTemplated } from "../template/template.ts";

const require = createRequire(import.meta.url);
type AjvInstance = InstanceType<typeof AjvModule.default>;

/**
 * How ajv validates every schema hoist has: all errors, defaults filled, no type coercion. Our
 * own schemas are checked against the meta-schema by the tests, not at every start (~30 ms).
 */
export const AJV_OPTIONS: Options = { allErrors: true, verbose: true, useDefaults: true, strict: false, coerceTypes: false, validateSchema: false };

/** What names a schema among the precompiled validators: the schema and the options it was compiled with. */
export function schemaKey(schema: object): string {
  return JSON.stringify([AJV_OPTIONS, schema]);
}

/**
 * Validators compiled at build time (`npm run build` writes them beside this
 * file, see precompile.ts): starting without ajv and its code generation
 * saves ~70 ms. Deno runs the sources, where there are none.
 */
const precompiled: Record<string, ValidateFunction> = (() => {
  try {
    return require("./validators.cjs").byKey;
  } catch {
    return {};
  }
})();

let ajv: AjvInstance | undefined;

/** ajv itself, loaded only for a schema that was not precompiled (a `--modules` module, Deno). */
export function compiler(options: Options = AJV_OPTIONS): AjvInstance {
  const loaded = require("ajv");
  const Ajv = loaded.default ?? loaded;
  return new Ajv(options);
}

const compiled = new WeakMap<object, ValidateFunction>();

/** True when the build precompiled a validator for `schema`. */
export function isPrecompiled(schema: object): boolean {
  return schemaKey(schema) in precompiled;
}

/**
 * The validator of `schema`: precompiled when the build made one, else compiled by ajv once.
 *
 * @example
 * validatorFor({ type: "string" })("x") // true
 */
export function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = precompiled[schemaKey(schema)] ?? (ajv ??= compiler()).compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/**
 * Check a schema itself against JSON Schema's meta-schema: for modules that
 * come from outside (`--modules`), whose schemas no test of ours has seen.
 *
 * @example
 * checkSchema({ type: "strng" }, "my-modules/x.js"); // throws: … schema is invalid …
 */
export function checkSchema(schema: Record<string, unknown>, file: string): void {
  ajv ??= compiler();
  if (!ajv.validateSchema(schema)) throw new InputError(`module schema is invalid: ${ajv.errorsText(ajv.errors)}`, { file });
}

function valueAt(root: unknown, path: Path): unknown {
  let cur = root;
  for (const p of path) cur = cur == null ? undefined : (cur as Record<string | number, unknown>)[p];
  return cur;
}

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function describe(e: ErrorObject, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties": {
      const allowed = Object.keys(((e.parentSchema as Record<string, unknown>)?.properties as object) ?? {});
      return `unknown key '${p.additionalProperty}'${didYouMean(String(p.additionalProperty), allowed)}; expected one of: ${allowed.join(", ")}`;
    }
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map(String);
      return `${JSON.stringify(value)} is not one of ${allowed.join(", ")}${didYouMean(String(value), allowed)}`;
    }
    case "required":
      return `missing required key '${p.missingProperty}'`;
    case "type":
      return `expected ${p.type}, got ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value} ${JSON.stringify(value)}`;
    default:
      return e.message ?? e.keyword;
  }
}

/** A value or one of its ancestors is a template: its type is only known at run time. */
function underTemplate(root: unknown, path: Path): boolean {
  for (let n = path.length; n >= 0; n--) if (isTemplated(valueAt(root, path.slice(0, n)))) return true;
  return false;
}

/**
 * A compiled schema check: true, or false with ajv's errors.
 */
export interface SchemaCheck {
  /** Where the value sits in its file, for error positions. */
  located?: Located;
  basePath?: Path;
  /** What the value is, for the message ("module 'file' arguments"). */
  what: string;
  /** Skip type errors on `{{ }}` values; they are checked again after rendering. */
  allowTemplates?: boolean;
}

/**
 * Validate `value` against `schema`, applying defaults in place. Throws an
 * InputError naming the first problem's position (all problems are listed).
 *
 * @example
 * validateSchema({ type: "object", properties: { path: { type: "string" } }, additionalProperties: false },
 *   { pth: "/x" }, { what: "file arguments" }); // throws: unknown key 'pth' (did you mean 'path'?)
 */
export function validateSchema(schema: Record<string, unknown>, value: unknown, check: SchemaCheck): void {
  const validate = validatorFor(schema);
  if (validate(value)) return;
  const errors = validate.errors ?? [];
  const deferred = (e: ErrorObject) =>
    !!check.allowTemplates && e.keyword !== "additionalProperties" && e.keyword !== "required" && underTemplate(value, pathOf(e.instancePath));
  // An anyOf/oneOf with a branch that fails only on templates may hold once they render: drop its errors.
  const pending = errors
    .filter((e) => e.keyword === "anyOf" || e.keyword === "oneOf")
    .map((e) => `${e.schemaPath}/`)
    .filter((prefix) => {
      const branchOf = (e: ErrorObject) => e.schemaPath.slice(prefix.length).split("/")[0];
      const inside = errors.filter((e) => e.schemaPath.startsWith(prefix));
      return [...new Set(inside.map(branchOf))].some((branch) => inside.filter((e) => branchOf(e) === branch).every(deferred));
    });
  const relevant = errors.filter((e) => {
    if (deferred(e) || pending.some((prefix) => e.schemaPath.startsWith(prefix) || `${e.schemaPath}/` === prefix)) return false;
    // anyOf/oneOf restate their branches' errors; the branch errors say more.
    return !["anyOf", "oneOf", "if"].includes(e.keyword);
  });
  if (relevant.length === 0) return;
  const messages = relevant.map((e) => {
    const path = pathOf(e.instancePath);
    const keyPath = e.keyword === "additionalProperties" ? [...path, String((e.params as { additionalProperty: string }).additionalProperty)] : path;
    const field = keyPath.length ? keyPath.join(".") : "";
    return { path: keyPath, keyword: e.keyword, text: `${check.what}${field ? ` '${field}'` : ""}: ${describe(e, valueAt(value, path))}` };
  });
  // A misspelt key also makes its correct spelling "missing": lead with the misspelling.
  const rank = (m: { keyword: string }) => ["additionalProperties", "enum", "type"].indexOf(m.keyword) + 1 || 9;
  const unique = [...new Map(messages.map((m) => [m.text, m])).values()].sort((a, b) => rank(a) - rank(b));
  const first = unique[0];
  const fullPath = [...(check.basePath ?? []), ...first.path];
  const where = first.keyword === "additionalProperties" || first.keyword === "required" ? check.located?.at(fullPath) : check.located?.valueAt(fullPath);
  throw new InputError(unique.map((m) => m.text).join("; "), where);
}
