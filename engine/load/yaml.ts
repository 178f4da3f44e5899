/**
 * YAML loading that remembers where every key and value came from, so that
 * validation errors can name file, line and column. Parsing is js-yaml's; this
 * file only walks js-yaml's event stream to index source offsets by path.
 */
import { readFileSync, statSync } from "node:fs";
import {
  load,
  parseEvents,
  getScalarValue,
  EVENT_ID,
  YAMLException,
  FAILSAFE_SCHEMA,
  NOT_RESOLVED,
  defineScalarTag,
  nullYaml11Tag,
  intYaml11Tag,
  floatYaml11Tag,
  mergeTag,
} from "js-yaml";
import type { Event, ScalarEvent } from "js-yaml";
import { InputError, type Where } from "../errors.ts";

/**
 * Where a value sits in a YAML document: its keys and indexes from the root, to name its line and
 * column.
 */
export type Path = ReadonlyArray<string | number>;

/** A parsed YAML document plus a way to ask where any part of it is. */
export interface Located<T = unknown> {
  file: string;
  value: T;
  /** Where the key (or, failing that, the value) at `path` is; falls back to the nearest ancestor. */
  at(path: Path): Where;
  /** Where the value at `path` is (or its key); falls back to the nearest ancestor. */
  valueAt(path: Path): Where;
}

interface Frame {
  kind: "map" | "seq" | "doc";
  path: (string | number)[];
  index: number;
  key?: string;
  expectKey: boolean;
}

const PYYAML_BOOLEANS: Record<string, boolean> = Object.fromEntries(
  ["yes", "true", "on"].flatMap((w) => [w, w[0].toUpperCase() + w.slice(1), w.toUpperCase()]).map((w) => [w, true]),
);
for (const w of ["no", "false", "off"]) for (const f of [w, w[0].toUpperCase() + w.slice(1), w.toUpperCase()]) PYYAML_BOOLEANS[f] = false;

/** YAML 1.1's booleans as PyYAML reads them: yes/no, on/off, true/false in three casings (not y/n, which stay text). */
const pyyamlBool = defineScalarTag<boolean>("tag:yaml.org,2002:bool", {
  implicit: true,
  implicitFirstChars: ["y", "Y", "n", "N", "t", "T", "f", "F", "o", "O"],
  resolve: (source) => (Object.hasOwn(PYYAML_BOOLEANS, source) ? PYYAML_BOOLEANS[source] : NOT_RESOLVED),
  identify: (v) => typeof v === "boolean",
  represent: (v) => String(v),
});

/**
 * YAML as Ansible reads it (PyYAML, YAML 1.1): `yes`/`no`/`on`/`off` are booleans, `010` is octal 8,
 * `1_000` is 1000, `<<` merges; dates stay text (Ansible prints a date as that same text).
 *
 * @example
 * load("a: yes\nb: 010", { schema: ANSIBLE_YAML_SCHEMA }) // { a: true, b: 8 }
 */
export const ANSIBLE_YAML_SCHEMA = FAILSAFE_SCHEMA.withTags(nullYaml11Tag, pyyamlBool, intYaml11Tag, floatYaml11Tag, mergeTag);

/**
 * For files hoist reads as documentation, never renders (a role's argument_specs.yml): Ansible's
 * `!unsafe` strings are their text. (In playbooks and vars files `!unsafe` is still refused: hoist
 * would render them, which the tag forbids.)
 *
 * @example
 * load('default: !unsafe "{{.Comm}}"', { schema: DOCUMENTATION_YAML_SCHEMA }) // { default: "{{.Comm}}" }
 */
export const DOCUMENTATION_YAML_SCHEMA = ANSIBLE_YAML_SCHEMA.withTags(
  defineScalarTag<string>("!unsafe", { resolve: (source) => source, identify: () => false, represent: (v) => v }),
);

const pathKey = (path: Path) => JSON.stringify(path);

function indexOffsets(source: string, events: Event[]): Map<string, number> {
  const offsets = new Map<string, number>();
  const stack: Frame[] = [];
  const nextPath = (): (string | number)[] => {
    const top = stack[stack.length - 1];
    if (!top || top.kind === "doc") return [];
    if (top.kind === "seq") return [...top.path, top.index++];
    top.expectKey = true;
    return [...top.path, top.key ?? ""];
  };
  const record = (path: Path, offset: number, value = true) => {
    const k = (value ? "v" : "k") + pathKey(path);
    if (!offsets.has(k) && offset >= 0) offsets.set(k, offset);
  };
  for (const ev of events) {
    const top = stack[stack.length - 1];
    if (ev.type === EVENT_ID.DOCUMENT) {
      stack.push({ kind: "doc", path: [], index: 0, expectKey: false });
    } else if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
      if (top?.kind === "map" && top.expectKey) {
        // A collection used as a mapping key: give it a placeholder name.
        top.key = "?";
        top.expectKey = false;
      }
      const path = nextPath();
      record(path, ev.start);
      stack.push({ kind: ev.type === EVENT_ID.MAPPING ? "map" : "seq", path, index: 0, expectKey: true });
    } else if (ev.type === EVENT_ID.SCALAR || ev.type === EVENT_ID.ALIAS) {
      const offset = ev.type === EVENT_ID.SCALAR ? ev.valueStart : ev.anchorStart - 1;
      if (top?.kind === "map" && top.expectKey) {
        top.key = ev.type === EVENT_ID.SCALAR ? getScalarValue(source, ev as ScalarEvent) : "*";
        top.expectKey = false;
        record([...top.path, top.key], offset, false);
      } else {
        record(nextPath(), offset);
      }
    } else if (ev.type === EVENT_ID.POP) {
      stack.pop();
      const parent = stack[stack.length - 1];
      if (parent?.kind === "map") parent.expectKey = true;
    }
  }
  return offsets;
}

/** What aliases may expand to in one document: far above any real playbook, far below a hang. */
export const MAX_EXPANDED_NODES = 1_000_000;

/**
 * The number of nodes the document stands for once every alias is expanded,
 * computed from the events (js-yaml shares aliased values, but everything
 * that walks them later walks each copy: a "billion laughs" file of a few
 * hundred bytes would hang the run). Returns the offset of the alias that
 * pushes it over the limit, or -1.
 */
function aliasBomb(source: string, events: Event[]): number {
  const anchors = new Map<string, number>();
  const stack: { count: number; anchor?: string }[] = [{ count: 0 }];
  const add = (n: number) => stack.forEach((f) => (f.count += n));
  const anchorOf = (e: { anchorStart: number; anchorEnd: number }) =>
    e.anchorStart >= 0 && e.anchorEnd > e.anchorStart ? source.slice(e.anchorStart, e.anchorEnd).replace(/^&/, "") : undefined;
  for (const ev of events) {
    if (ev.type === EVENT_ID.MAPPING || ev.type === EVENT_ID.SEQUENCE) {
      add(1);
      stack.push({ count: 0, anchor: anchorOf(ev) });
    } else if (ev.type === EVENT_ID.POP) {
      if (stack.length > 1) {
        const done = stack.pop()!;
        if (done.anchor) anchors.set(done.anchor, done.count + 1);
      }
    } else if (ev.type === EVENT_ID.SCALAR) {
      add(1);
      const a = anchorOf(ev);
      if (a) anchors.set(a, 1);
    } else if (ev.type === EVENT_ID.ALIAS) {
      add(anchors.get(source.slice(ev.anchorStart, ev.anchorEnd).replace(/^\*/, "")) ?? 1);
      if (stack[0].count > MAX_EXPANDED_NODES) return ev.anchorStart;
    }
  }
  return -1;
}

function lineStarts(source: string): number[] {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") starts.push(i + 1);
  return starts;
}

function toWhere(file: string, starts: number[], offset: number): Where {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file, line: lo + 1, col: offset - starts[lo] + 1 };
}

/**
 * Parse YAML text, keeping positions.
 *
 * @example
 * const doc = parseYaml("- hosts: all\n", "site.yaml");
 * doc.at([0, "hosts"]) // { file: "site.yaml", line: 1, col: 3 }
 */
export function parseYaml<T = unknown>(source: string, file: string, schema = ANSIBLE_YAML_SCHEMA): Located<T> {
  let value: unknown;
  let events: Event[];
  try {
    value = load(source, { filename: file, schema });
    events = parseEvents(source, { filename: file });
  } catch (e) {
    if (e instanceof YAMLException && e.mark) {
      throw new InputError(`invalid YAML: ${e.reason}`, { file, line: e.mark.line + 1, col: e.mark.column + 1 });
    }
    throw new InputError(`invalid YAML: ${(e as Error).message}`, { file });
  }
  const starts = lineStarts(source);
  const bomb = aliasBomb(source, events);
  if (bomb >= 0)
    throw new InputError(`YAML aliases expand to more than ${MAX_EXPANDED_NODES} nodes; refusing to load (an alias bomb?)`, toWhere(file, starts, bomb));
  const offsets = indexOffsets(source, events);
  const find = (path: Path, order: string[]): Where => {
    for (let n = path.length; n >= 0; n--) {
      for (const kind of order) {
        const offset = offsets.get(kind + pathKey(path.slice(0, n)));
        if (offset !== undefined) return toWhere(file, starts, offset);
      }
    }
    return { file };
  };
  return {
    file,
    value: value as T,
    at: (path) => find(path, ["k", "v"]),
    valueAt: (path) => find(path, ["v", "k"]),
  };
}

/**
 * Read a text file the user wrote: UTF-8 or an error naming where the first
 * byte that is not UTF-8 is (Node would otherwise turn it into U+FFFD in
 * silence and the run would use a value nobody wrote).
 *
 * @example
 * readUserText("site.yaml") // the text, or InputError "site.yaml:3:9: not UTF-8 …"
 */
export function readUserText(file: string): string {
  let bytes: Buffer;
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    bytes = readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { file });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    // Decoded with replacement characters, the first one is where the bad byte was.
    const text = bytes.toString("utf8");
    throw new InputError("not UTF-8 text", toWhere(file, lineStarts(text), Math.max(0, text.indexOf("\uFFFD"))));
  }
}

/** Read and parse a YAML file, keeping positions. */
export function loadYamlFile<T = unknown>(file: string, schema = ANSIBLE_YAML_SCHEMA): Located<T> {
  return parseYaml<T>(readUserText(file), file, schema);
}
