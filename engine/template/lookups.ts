/**
 * `lookup()` and `query()`: reads on the control machine while a template
 * renders — `file`, `env`, `template`, `vars`, `first_found`, `pipe` and
 * `password` (generated once, kept in a file, never shown). Relative paths
 * are looked for as Ansible does: in the task's role (`role_path`), then
 * beside the playbook (`playbook_dir`). What a lookup returns is text, never
 * rendered again.
 */
import { execFileSync } from "node:child_process";
import { RUN_SECRETS } from "../vars.ts";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { searchDirs, type ControlFileKind } from "../load/control-files.ts";

type Vars = Record<string, unknown>;

/** node:crypto only for the password lookup: most runs never make one, and loading it costs start-up time. */
const randomInt = (max: number): number => (createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto")).randomInt(max);
type Kwargs = Record<string, unknown>;

/** What a lookup needs of the render: the variables, and a way to render a template file. */
export interface LookupContext {
  vars: Vars;
  renderText(text: string, vars: Vars): string;
  /** Where first_found looks in a role, as Ansible picks it by the task's action: vars/ for include_vars, templates/ for template, else files/. */
  subdir?: ControlFileKind;
}

class LookupError extends Error {}

/** The places a relative path of `kind` is looked for, as tasks look for their files: the role (`role_path`), then beside the playbook. */
function candidates(path: string, kind: ControlFileKind, vars: Vars): string[] {
  if (isAbsolute(path)) return [path];
  const role = typeof vars.role_path === "string" ? vars.role_path : undefined;
  const playbook = typeof vars.playbook_dir === "string" ? vars.playbook_dir : process.cwd();
  return searchDirs(kind, role, playbook).map((d) => join(d, path));
}

/**
 * A control-machine file of `kind` (a relative path: in the role, then beside the playbook).
 *
 * @example
 * findControlFile("motd.j2", "templates", vars) // "/srv/site/roles/common/templates/motd.j2"
 */
export function findControlFile(path: string, kind: ControlFileKind, vars: Vars): string | undefined {
  return candidates(path, kind, vars).find((p) => existsSync(p));
}

function mustFind(path: string, kind: ControlFileKind, vars: Vars): string {
  const found = findControlFile(path, kind, vars);
  if (!found) throw new LookupError(`could not find '${path}'; looked in ${candidates(path, kind, vars).map(dirname).join(", ")}`);
  return found;
}

const CHARSETS: Record<string, string> = {
  ascii_letters: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
  ascii_lowercase: "abcdefghijklmnopqrstuvwxyz",
  ascii_uppercase: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  digits: "0123456789",
  hexdigits: "0123456789abcdefABCDEF",
  punctuation: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
};

/**
 * The password lookup: `path length=N chars=set,set`; the first use writes a
 * new random password to `path` (mode 0600, relative to the playbook), every
 * later use reads it back; `/dev/null` generates one without keeping it.
 */
function password(term: string, vars: Vars): string {
  const [path, ...params] = term.trim().split(/\s+/);
  const options = Object.fromEntries(params.map((p) => p.split("=") as [string, string]));
  const length = Number(options.length ?? 20);
  if (!Number.isInteger(length) || length < 1 || length > 4096) throw new LookupError(`password: length must be 1 to 4096, got '${options.length}'`);
  const chars = (options.chars ?? "ascii_letters,digits,.,:-_")
    .split(",")
    .map((c) => CHARSETS[c] ?? c)
    .join("");
  const file = isAbsolute(path) ? path : resolve(typeof vars.playbook_dir === "string" ? vars.playbook_dir : process.cwd(), path);
  let value: string;
  if (file !== "/dev/null" && existsSync(file)) value = readFileSync(file, "utf8").split("\n")[0].split(" salt=")[0];
  else {
    value = Array.from({ length }, () => chars[randomInt(chars.length)]).join("");
    if (file !== "/dev/null") {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, `${value}\n`, { mode: 0o600, flag: "wx" });
    }
  }
  (vars as { [RUN_SECRETS]?: Set<string> })[RUN_SECRETS]?.add(value);
  return value;
}

function firstFound(terms: unknown[], kw: Kwargs, vars: Vars, subdir: ControlFileKind): string[] {
  const spec = terms.length === 1 && terms[0] && typeof terms[0] === "object" && !Array.isArray(terms[0]) ? (terms[0] as Kwargs) : kw;
  const files = (spec.files ?? terms.flat()) as unknown[];
  const paths = (spec.paths ?? []) as string[];
  for (const f of files.map(String)) {
    const found = paths.length
      ? paths.map((p) => join(p, f)).find((p) => existsSync(isAbsolute(p) ? p : join(String(vars.playbook_dir ?? "."), p)))
      : findControlFile(f, subdir, vars);
    if (found) return [isAbsolute(found) ? found : join(String(vars.playbook_dir ?? "."), found)];
  }
  if (spec.skip) return [];
  throw new LookupError(`first_found: none of ${files.join(", ")} found`);
}

/** `with_subelements: [list, "key.path", { skip_missing: true }]`: each item paired with each of its subelements. */
function subelements(terms: unknown[]): unknown[] {
  const [list, key, flags] = terms as [unknown, unknown, Kwargs | undefined];
  const items = Array.isArray(list) ? list : list && typeof list === "object" ? Object.values(list as Vars) : [];
  const out: unknown[] = [];
  for (const item of items) {
    let sub: unknown = item;
    for (const part of String(key).split(".")) sub = sub && typeof sub === "object" ? (sub as Vars)[part] : undefined;
    if (sub === undefined) {
      if (flags?.skip_missing) continue;
      throw new LookupError(`subelements: '${String(key)}' is missing in ${JSON.stringify(item)}`);
    }
    if (!Array.isArray(sub)) throw new LookupError(`subelements: '${String(key)}' is not a list in ${JSON.stringify(item)}`);
    for (const s of sub) out.push([item, s]);
  }
  return out;
}

/** `with_sequence: start=1 end=3 format=web%02d` (or `count=`, `stride=`), as Ansible's sequence lookup. */
function sequence(term: string): string[] {
  const spec: Record<string, string> = {};
  const words = term.trim().split(/\s+/);
  if (words.length === 1 && /^\d+(-\d+)?(\/\d+)?(:.+)?$/.test(words[0])) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(\d+))?(?::(.+))?$/.exec(words[0])!;
    Object.assign(spec, { start: m[2] ? m[1] : "1", end: m[2] ?? m[1], ...(m[3] ? { stride: m[3] } : {}), ...(m[4] ? { format: m[4] } : {}) });
  } else for (const w of words) spec[w.split("=")[0]] = w.slice(w.indexOf("=") + 1);
  const start = Number(spec.start ?? 1);
  const stride = Number(spec.stride ?? 1);
  const end = spec.count !== undefined ? start + (Number(spec.count) - 1) * stride : Number(spec.end);
  if (![start, end, stride].every(Number.isInteger) || stride === 0) throw new LookupError(`sequence: cannot read '${term}'`);
  const out: string[] = [];
  for (let i = start; stride > 0 ? i <= end : i >= end; i += stride) {
    if (out.length >= 100_000) throw new LookupError("sequence: more than 100000 items");
    out.push(spec.format ? spec.format.replace(/%(0?\d*)d/, (_m, w: string) => String(i).padStart(Number(w || 0), w.startsWith("0") ? "0" : " ")) : String(i));
  }
  return out;
}

/** Files matching a pattern on the control machine (in the role's files/ first for a relative one), sorted. */
function fileglob(pattern: string, vars: Vars): string[] {
  const dir = dirname(pattern);
  const base = new RegExp(
    `^${basename(pattern)
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  const where = isAbsolute(dir) ? [dir] : candidates(dir, "files", vars);
  const found = where.find((d) => existsSync(d));
  if (!found) return [];
  return readdirSync(found)
    .filter((f) => base.test(f) && statSync(join(found, f)).isFile())
    .sort()
    .map((f) => join(found, f));
}

/**
 * The lookups hoist has, which are also the `with_<lookup>` loops a task may use.
 *
 * @example
 * LOOKUPS.includes("first_found") // true
 */
export const LOOKUPS = [
  "file",
  "env",
  "template",
  "vars",
  "first_found",
  "pipe",
  "password",
  "items",
  "list",
  "flattened",
  "dict",
  "indexed_items",
  "together",
  "nested",
  "subelements",
  "sequence",
  "fileglob",
  "lines",
  "random_choice",
  "varnames",
];

/** What a command line prints, run in a shell on the control machine (the pipe and lines lookups, as Ansible's). */
const shellOutput = (command: string): string => execFileSync("sh", ["-c", command], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** One lookup: its values, always a list (query's answer). */
function values(name: string, terms: unknown[], kw: Kwargs, ctx: LookupContext): unknown[] {
  const { vars } = ctx;
  const strings = () => terms.flat().map(String);
  switch (name.replace(/^ansible\.builtin\./, "")) {
    case "file":
      return strings().map((t) => {
        const text = readFileSync(mustFind(t, "files", vars), "utf8");
        return kw.rstrip === false ? text : text.replace(/\s+$/, "");
      });
    case "env":
      return strings().map((t) => process.env[t] ?? (kw.default as string | undefined) ?? "");
    case "template":
      return strings().map((t) => ctx.renderText(readFileSync(mustFind(t, "templates", vars), "utf8"), vars));
    case "vars":
      return strings().map((t) => {
        if (t in vars) return vars[t];
        if ("default" in kw) return kw.default;
        throw new LookupError(`vars: no variable '${t}'`);
      });
    case "first_found":
      return firstFound(terms, kw, vars, ctx.subdir ?? "files");
    case "pipe":
      // As Ansible's pipe: the command line runs in a shell on the control machine.
      return strings().map((t) => shellOutput(t).replace(/\n$/, ""));
    case "password":
      return strings().map((t) => password(t, vars));
    case "items":
      return terms.flat();
    case "list":
      return terms;
    case "flattened":
      return terms.flat(Infinity);
    case "dict":
      return terms.flatMap((d) => {
        if (!d || typeof d !== "object" || Array.isArray(d)) throw new LookupError(`dict: expected a mapping, got ${JSON.stringify(d)}`);
        return Object.entries(d as Vars).map(([key, value]) => ({ key, value }));
      });
    case "indexed_items":
      return terms.flat().map((x, i) => [i, x]);
    case "together": {
      const lists = terms.map((t) => (Array.isArray(t) ? t : [t]));
      return Array.from({ length: Math.max(0, ...lists.map((l) => l.length)) }, (_, i) => lists.map((l) => (i < l.length ? l[i] : null)));
    }
    case "nested":
      return terms.map((t) => (Array.isArray(t) ? t : [t])).reduce<unknown[][]>((acc, l) => acc.flatMap((p) => l.map((x) => [...p, x])), [[]]);
    case "subelements":
      return subelements(terms);
    case "sequence":
      return strings().flatMap(sequence);
    case "fileglob":
      return strings().flatMap((pattern) => fileglob(pattern, vars));
    case "lines":
      return strings().flatMap((t) =>
        shellOutput(t)
          .split("\n")
          .filter((l, i, all) => l !== "" || i < all.length - 1),
      );
    case "varnames":
      return strings().flatMap((pattern) => Object.keys(vars).filter((n) => new RegExp(pattern).test(n)));
    case "random_choice":
      return terms.length ? [terms[randomInt(terms.length)]] : [];
    default:
      throw new LookupError(`unknown lookup '${name}'; hoist has ${LOOKUPS.join(", ")}`);
  }
}

/**
 * `lookup(name, terms…)`: one value when there is one term, else the values
 * joined with commas (Ansible's rule); `wantlist=True` gives the list.
 *
 * @example
 * lookup(ctx, "env", ["HOME"], {}) // "/root"
 */
export function lookup(ctx: LookupContext, name: string, terms: unknown[], kw: Kwargs): unknown {
  try {
    const found = values(name, terms, kw, ctx);
    if (kw.wantlist) return found;
    return found.length === 1 ? found[0] : found.map(String).join(",");
  } catch (e) {
    throw new LookupError(`lookup('${name}'): ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * `query(name, terms…)` (or `q`): always the list.
 *
 * @example
 * query(ctx, "first_found", [["a.yml", "b.yml"]], {}) // ["/srv/site/files/b.yml"]
 */
export function query(ctx: LookupContext, name: string, terms: unknown[], kw: Kwargs): unknown[] {
  try {
    return values(name, terms, kw, ctx);
  } catch (e) {
    throw new LookupError(`query('${name}'): ${e instanceof Error ? e.message : String(e)}`);
  }
}
