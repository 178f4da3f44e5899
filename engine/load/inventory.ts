/**
 * Ansible inventories, read unchanged: INI and YAML files, a directory of
 * them, `group_vars/` and `host_vars/` beside them, host ranges.
 *
 * Variable precedence (low to high), as Ansible's for inventories:
 * group vars written in inventory files (`all` first, then parents before
 * children, alphabetical among equals) < `group_vars/` files (same order) <
 * host vars in inventory files < `host_vars/` files.
 * Simplified: INI values are read as YAML scalars (`port=22` is a number,
 * `flag=true` a boolean) in host lines and `[g:vars]` alike; Ansible reads
 * the latter as strings.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { load as loadYamlValue } from "js-yaml";
import { InputError, type Where } from "../errors.ts";
import { loadYamlFile, parseYaml, readUserText, type Located } from "./yaml.ts";
import { validateSchema } from "./validate.ts";
import { findCycle } from "../graph/graph.ts";
import type { Vars } from "../vars.ts";

/**
 * One inventory group: its hosts, child groups and variables.
 */
export interface Group {
  name: string;
  hosts: string[];
  children: string[];
  vars: Vars;
}

/**
 * An inventory as loaded (INI, YAML or a directory): hosts in order, groups, host variables.
 */
export interface Inventory {
  /** Host names in the order they were first seen. */
  hosts: string[];
  groups: Map<string, Group>;
  hostVars: Map<string, Vars>;
  /** Variables from group_vars/ and host_vars/ files. */
  groupVarsFiles: Map<string, Vars>;
  hostVarsFiles: Map<string, Vars>;
}

/**
 * An inventory with no hosts: the start every loader fills.
 */
export function emptyInventory(): Inventory {
  const inv: Inventory = { hosts: [], groups: new Map(), hostVars: new Map(), groupVarsFiles: new Map(), hostVarsFiles: new Map() };
  group(inv, "all");
  group(inv, "ungrouped");
  return inv;
}

function group(inv: Inventory, name: string): Group {
  let g = inv.groups.get(name);
  if (!g) {
    g = { name, hosts: [], children: [], vars: {} };
    inv.groups.set(name, g);
  }
  return g;
}

/** Hosts already in each group, so that adding n hosts costs n, not n². */
const members = new WeakMap<Group, Set<string>>();

function addHost(inv: Inventory, name: string, groupName: string, vars: Vars): void {
  if (!inv.hostVars.has(name)) {
    inv.hosts.push(name);
    inv.hostVars.set(name, {});
  }
  Object.assign(inv.hostVars.get(name)!, vars);
  const g = group(inv, groupName);
  let known = members.get(g);
  if (!known || known.size !== g.hosts.length) members.set(g, (known = new Set(g.hosts)));
  if (!known.has(name)) {
    g.hosts.push(name);
    known.add(name);
  }
}

/** More hosts than one range may name: a typo (`node[1:20000000]`) fails at once instead of filling memory. */
export const MAX_RANGE_HOSTS = 100_000;

/**
 * Expand Ansible host ranges: `node[1:3]`, `web[01:10:2]`, `db-[a:c]`.
 *
 * @example
 * expandHostRange("node[1:3]") // ["node1", "node2", "node3"]
 */
export function expandHostRange(pattern: string): string[] {
  const m = /^(.*?)\[([0-9a-zA-Z]+):([0-9a-zA-Z]+)(?::(\d+))?\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head, start, end, stepText, tail] = m;
  const step = Number(stepText ?? 1);
  if (step < 1) throw new Error(`invalid host range step ${stepText} in '${pattern}'`);
  const count = /^\d+$/.test(start) && /^\d+$/.test(end) ? (Number(end) - Number(start)) / step + 1 : 0;
  if (count > MAX_RANGE_HOSTS) throw new Error(`host range '[${start}:${end}]' in '${pattern}' names ${Math.floor(count)} hosts, more than ${MAX_RANGE_HOSTS}`);
  const items: string[] = [];
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const width = start.startsWith("0") ? start.length : 0;
    for (let i = Number(start); i <= Number(end); i += step) items.push(String(i).padStart(width, "0"));
  } else if (/^[a-zA-Z]$/.test(start) && /^[a-zA-Z]$/.test(end)) {
    for (let c = start.charCodeAt(0); c <= end.charCodeAt(0); c += step) items.push(String.fromCharCode(c));
  } else {
    throw new Error(`invalid host range '[${start}:${end}]' in '${pattern}'`);
  }
  return items.flatMap((i) => expandHostRange(`${head}${i}${tail}`));
}

const BOOLEAN_WORDS = ["true", "false", "yes", "no", "on", "off", "1", "0"];

/** What the connection variables may hold; a templated value is checked when it is used. */
const CONNECTION_VARS: Record<string, (v: unknown) => string | undefined> = {
  ansible_port: (v) =>
    Number.isInteger(Number(v)) && Number(v) >= 1 && Number(v) <= 65535 && String(v).trim() !== ""
      ? undefined
      : `must be a port number from 1 to 65535, got '${v}'`,
  ansible_connection: (v) => (["ssh", "local", "paramiko", "smart"].includes(String(v)) ? undefined : `must be ssh or local, got '${v}'`),
  ansible_become: (v) => (typeof v === "boolean" || BOOLEAN_WORDS.includes(String(v).toLowerCase()) ? undefined : `must be a boolean, got '${v}'`),
  ansible_host: (v) => (/^[A-Za-z0-9_.:%-]+$/.test(String(v)) && !String(v).startsWith("-") ? undefined : `must be a host name or address, got '${v}'`),
};

/**
 * Refuse a connection variable that cannot work (`ansible_port=abc`,
 * `ansible_connection=telnet`) where it is written, before any host is touched.
 *
 * @example
 * checkConnectionVars({ ansible_port: 99999 }, { file: "hosts.ini", line: 2 }) // throws InputError
 */
export function checkConnectionVars(vars: Vars, where: Where | (() => Where)): void {
  for (const [key, value] of Object.entries(vars)) {
    const check = CONNECTION_VARS[key];
    if (!check || value === null || (typeof value === "string" && value.includes("{{"))) continue;
    const problem = check(value);
    if (problem) throw new InputError(`${key} ${problem}`, typeof where === "function" ? where() : where);
  }
}

function scalar(text: string): unknown {
  try {
    return loadYamlValue(text);
  } catch {
    return text;
  }
}

/** `a=1 b="two words" c='x'` into vars; quotes as a shell would split them. */
function parseKeyValues(text: string, where: () => { file: string; line: number; col: number }): Vars {
  const vars: Vars = {};
  const re = /\s*([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/y;
  let rest = text.trim();
  while (rest) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) throw new InputError(`expected key=value, got '${rest.split(/\s+/)[0]}'`, where());
    const raw = m[2];
    if (/^["']/.test(raw) && (raw.length < 2 || raw[raw.length - 1] !== raw[0]))
      throw new InputError(`unterminated ${raw[0]} quote in the value of '${m[1]}'`, where());
    if (raw.startsWith('"')) {
      try {
        vars[m[1]] = JSON.parse(raw);
      } catch {
        throw new InputError(`invalid escape in the value of '${m[1]}': ${raw}`, where());
      }
    } else vars[m[1]] = raw.startsWith("'") ? raw.slice(1, -1) : scalar(raw);
    rest = rest.slice(m[0].length).trim();
  }
  checkConnectionVars(vars, where);
  return vars;
}

/** Parse Ansible's INI inventory format into `inv`. */
export function parseIniInventory(text: string, file: string, inv: Inventory = emptyInventory()): Inventory {
  let section = "ungrouped";
  let kind: "hosts" | "vars" | "children" = "hosts";
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/^\s+/, "");
    const where = () => ({ file, line: index + 1, col: raw.length - line.length + 1 });
    if (!line || line.startsWith("#") || line.startsWith(";")) return;
    const header = /^\[([^\]:]+)(?::(\w+))?\]\s*$/.exec(line);
    if (header) {
      section = header[1];
      const k = header[2] ?? "hosts";
      if (!["hosts", "vars", "children"].includes(k)) {
        throw new InputError(`unknown section kind ':${k}' (expected :vars or :children)`, where());
      }
      kind = k as typeof kind;
      group(inv, section);
      return;
    }
    if (kind === "vars") {
      const eq = line.indexOf("=");
      if (eq < 1) throw new InputError(`expected key=value in [${section}:vars]`, where());
      const key = line.slice(0, eq).trim();
      const value = scalar(line.slice(eq + 1).trim());
      checkConnectionVars({ [key]: value }, where);
      group(inv, section).vars[key] = value;
    } else if (kind === "children") {
      const child = line.split(/\s+/)[0];
      group(inv, child);
      const g = group(inv, section);
      if (!g.children.includes(child)) g.children.push(child);
    } else {
      const [name, ...rest] = line.split(/\s+/);
      const vars = parseKeyValues(rest.join(" ").replace(/\s#.*$/, ""), where);
      let names: string[];
      try {
        names = expandHostRange(name);
      } catch (e) {
        throw new InputError((e as Error).message, where());
      }
      for (const h of names) {
        addHost(inv, h, section, vars);
      }
    }
  });
  return inv;
}

const groupSchema = {
  $id: "hoist:inventory-group",
  type: ["object", "null"],
  properties: {
    hosts: { type: ["object", "null"], additionalProperties: { type: ["object", "null"] } },
    children: { type: ["object", "null"], additionalProperties: { $ref: "hoist:inventory-group" } },
    vars: { type: ["object", "null"] },
  },
  additionalProperties: false,
};
/**
 * The JSON Schema of a YAML inventory: bad keys are refused with file:line:col before any host is
 * touched.
 */
export const yamlInventorySchema = { type: "object", additionalProperties: { $ref: "hoist:inventory-group" }, definitions: { g: groupSchema } };

/** Parse Ansible's YAML inventory format (`all: {hosts, children, vars}`) into `inv`. */
export function parseYamlInventory(doc: Located, inv: Inventory = emptyInventory()): Inventory {
  validateSchema(yamlInventorySchema, doc.value ?? {}, { located: doc, what: "inventory group" });
  const walk = (name: string, body: Record<string, any> | null, parent: string, path: (string | number)[]) => {
    const g = group(inv, name);
    if (parent && parent !== name) {
      const p = group(inv, parent);
      if (!p.children.includes(name)) p.children.push(name);
    }
    for (const [pattern, vars] of Object.entries(body?.hosts ?? {})) {
      let names: string[];
      try {
        names = expandHostRange(pattern);
      } catch (e) {
        throw new InputError((e as Error).message, doc.at([...path, "hosts", pattern]));
      }
      checkConnectionVars((vars as Vars) ?? {}, () => doc.at([...path, "hosts", pattern]));
      for (const h of names) addHost(inv, h, name, (vars as Vars) ?? {});
    }
    checkConnectionVars(body?.vars ?? {}, () => doc.at([...path, "vars"]));
    Object.assign(g.vars, body?.vars ?? {});
    for (const [child, childBody] of Object.entries(body?.children ?? {})) walk(child, childBody as Record<string, any>, name, [...path, "children", child]);
  };
  for (const [name, body] of Object.entries((doc.value as Record<string, any>) ?? {})) walk(name, body, "all", [name]);
  return inv;
}

function looksLikeYaml(file: string, text: string): boolean {
  if (/\.(ya?ml|json)$/.test(file)) return true;
  if (/\.(ini|cfg)$/.test(file)) return false;
  return !/^\s*\[/m.test(text) && /^[\w.-]+:\s*$/m.test(text);
}

/** Variables of a group_vars/ or host_vars/ entry: a file (`web.yaml`, `web`) or a directory of files. */
function readVarsEntry(dir: string, name: string): Vars | undefined {
  const candidates = [name, `${name}.yaml`, `${name}.yml`, `${name}.json`].map((n) => join(dir, n));
  let found: Vars | undefined;
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const files = statSync(path).isDirectory()
      ? readdirSync(path)
          .sort()
          .map((f) => join(path, f))
      : [path];
    for (const f of files) {
      if (statSync(f).isDirectory()) continue;
      const doc = loadYamlFile<Vars>(f);
      if (doc.value !== null && (typeof doc.value !== "object" || Array.isArray(doc.value))) {
        throw new InputError("variables file must hold a mapping", doc.at([]));
      }
      for (const key of Object.keys(doc.value ?? {})) checkConnectionVars({ [key]: doc.value[key] }, () => doc.at([key]));
      found = { ...found, ...(doc.value ?? {}) };
    }
  }
  return found;
}

function readVarsDirs(inv: Inventory, baseDir: string): void {
  for (const [kind, names, target] of [
    ["group_vars", [...inv.groups.keys()], inv.groupVarsFiles],
    ["host_vars", inv.hosts, inv.hostVarsFiles],
  ] as const) {
    const dir = join(baseDir, kind);
    if (!existsSync(dir)) continue;
    for (const n of names) {
      const vars = readVarsEntry(dir, n);
      if (vars) target.set(n, { ...target.get(n), ...vars });
    }
  }
}

function parseInventoryFile(file: string, inv: Inventory): void {
  const text = readUserText(file);
  if (looksLikeYaml(file, text)) parseYamlInventory(parseYaml(text, file), inv);
  else parseIniInventory(text, file, inv);
}

function finish(inv: Inventory): Inventory {
  const all = group(inv, "all");
  const grouped = new Set<string>();
  for (const g of inv.groups.values()) if (g.name !== "all" && g.name !== "ungrouped") g.hosts.forEach((h) => grouped.add(h));
  const ungrouped = group(inv, "ungrouped");
  ungrouped.hosts = inv.hosts.filter((h) => !grouped.has(h));
  all.hosts = [...inv.hosts];
  for (const g of inv.groups.values()) {
    if (g.name !== "all" && !isChildOfSomething(inv, g.name) && !all.children.includes(g.name)) all.children.push(g.name);
  }
  detectGroupCycles(inv);
  return inv;
}

function isChildOfSomething(inv: Inventory, name: string): boolean {
  for (const g of inv.groups.values()) if (g.name !== "all" && g.children.includes(name)) return true;
  return false;
}

function detectGroupCycles(inv: Inventory): void {
  const cycle = findCycle(inv.groups.keys(), (name) => inv.groups.get(name)?.children ?? []);
  if (cycle) throw new InputError(`inventory groups form a cycle: ${cycle.join(" -> ")}`);
}

/**
 * Load an inventory file or directory (as `-i` takes it).
 *
 * @example
 * const inv = loadInventory("inventories/lab/hosts.ini");
 * hostVariables(inv, "node1").ansible_host
 */
export function loadInventory(path: string): Inventory {
  const inv = emptyInventory();
  if (!existsSync(path)) throw new InputError("inventory not found", { file: path });
  let baseDir: string;
  if (statSync(path).isDirectory()) {
    baseDir = path;
    const files = readdirSync(path)
      .filter((f) => !f.startsWith(".") && !["group_vars", "host_vars"].includes(f) && !/(~|\.md|\.orig|\.bak|\.retry)$/.test(f))
      .map((f) => join(path, f))
      .filter((f) => statSync(f).isFile())
      .sort();
    for (const f of files) parseInventoryFile(f, inv);
  } else {
    baseDir = dirname(path);
    parseInventoryFile(path, inv);
  }
  finish(inv);
  readVarsDirs(inv, baseDir);
  return inv;
}

/** The implicit inventory when no `-i` is given: `localhost` on the local connection. */
export function implicitInventory(): Inventory {
  const inv = emptyInventory();
  addHost(inv, "localhost", "ungrouped", { ansible_connection: "local" });
  return finish(inv);
}

/** Groups a host belongs to, ancestors first (`all` first), each once. */
export function groupsOf(inv: Inventory, host: string): string[] {
  const depth = new Map<string, number>();
  const visit = (name: string, d: number) => {
    if ((depth.get(name) ?? -1) >= d) return;
    depth.set(name, d);
    for (const c of inv.groups.get(name)?.children ?? []) visit(c, d + 1);
  };
  visit("all", 0);
  const member = (name: string, seen = new Set<string>()): boolean => {
    if (seen.has(name)) return false;
    seen.add(name);
    const g = inv.groups.get(name)!;
    return g.hosts.includes(host) || g.children.some((c) => member(c, seen));
  };
  return [...inv.groups.keys()]
    .filter((g) => member(g))
    .sort((a, b) => (depth.get(a) ?? 0) - (depth.get(b) ?? 0) || (a === "all" ? -1 : b === "all" ? 1 : a.localeCompare(b)));
}

/** A host's inventory variables with Ansible's precedence (see the file comment). */
export function hostVariables(inv: Inventory, host: string): Vars {
  const groups = groupsOf(inv, host);
  const vars: Vars = {};
  for (const g of groups) Object.assign(vars, inv.groups.get(g)!.vars);
  for (const g of groups) Object.assign(vars, inv.groupVarsFiles.get(g));
  Object.assign(vars, inv.hostVars.get(host), inv.hostVarsFiles.get(host));
  return vars;
}

/** `groups` as templates see it: every group's hosts, recursively, in inventory order. */
export function groupsMap(inv: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of inv.groups.keys()) {
    const members = new Set<string>();
    const visit = (n: string, seen: Set<string>) => {
      if (seen.has(n)) return;
      seen.add(n);
      const g = inv.groups.get(n)!;
      g.hosts.forEach((h) => members.add(h));
      g.children.forEach((c) => visit(c, seen));
    };
    visit(name, new Set());
    out[name] = inv.hosts.filter((h) => members.has(h));
  }
  return out;
}
