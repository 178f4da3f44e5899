/**
 * ini_file: community.general's ini_file — one option of one section of an
 * INI file set, added or removed, the file otherwise kept line for line, as
 * Ansible's module edits it (commented-out options taken over, options
 * repeated with `values`, a missing section appended); the text is then
 * written through `file` (atomic, with mode, owner and group).
 */
import { defineModule, planFailure, type Plan, type PlanContext, type Probe } from "../engine/module.ts";
import { absolutePath, accountName } from "./lib/argument-types.ts";
import { linesWithEnds } from "./lib/text-edit.ts";
import file from "./file.ts";

interface Args {
  path: string;
  section?: string | null;
  section_has_values?: { option: string; values?: string[] }[];
  option?: string;
  value?: string;
  values?: string[];
  state?: "present" | "absent";
  exclusive?: boolean;
  no_extra_spaces?: boolean;
  ignore_spaces?: boolean;
  allow_no_value?: boolean;
  modify_inactive_option?: boolean;
  create?: boolean;
  backup?: boolean;
  mode?: string | number;
  owner?: string;
  group?: string;
}

/** Python's re.escape: the text as a pattern that matches just it. */
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
/** A line without its newline: Python's `$` matches before it, JavaScript's does not. */
const bare = (line: string) => line.replace(/\n$/, "");

/** An option's line, active or (`[#;]`) commented out; group 8 is its value. */
function matchOption(option: string, line: string): RegExpExecArray | null {
  return new RegExp(`^( |\\t)*([#;]?)( |\\t)*(${literal(option)})( |\\t)*(=|$)( |\\t)*(.*)`).exec(bare(line));
}

/** An active option's line only. */
function matchActive(option: string, line: string): RegExpExecArray | null {
  return new RegExp(`^()()( |\\t)*(${literal(option)})( |\\t)*(=|$)( |\\t)*(.*)`).exec(bare(line));
}

const BLANK_OR_COMMENT = /^[ \t]*([#;].*)?$/;
/** A section name no file holds: the lines before the first section are its. */
const FAKE = "ad01e11446efb704fcdbdb21f2c43757423d91c5";

/** The file's text after the edit, and whether Ansible's module counts it changed. */
function edit(text: string | null, args: Args): { text: string; changed: boolean } {
  const values = [...new Set(args.value !== undefined ? [args.value] : (args.values ?? []))];
  const format = (o: string, v: string) => (args.no_extra_spaces ? `${o}=${v}\n` : `${o} = ${v}\n`);
  const lines = linesWithEnds(text ?? "");
  let changed = false;
  if (!lines.length) lines.push("\n");
  if (!lines[lines.length - 1].endsWith("\n")) {
    lines[lines.length - 1] += "\n";
    changed = true;
  }
  lines.unshift(`[${FAKE}]`);
  lines.push("[");
  const section = args.section || FAKE;
  const { option, allow_no_value: noValue = false, exclusive = true } = args;
  const match = args.modify_inactive_option === false ? matchActive : matchOption;
  const hasValues = (part: string[]) =>
    (args.section_has_values ?? []).every((c) => part.some((l) => ((m) => m && (!c.values?.length || c.values.includes(m[8])))(matchOption(c.option, l))));
  const header = new RegExp(`^\\[\\s*${literal(section.trim())}\\s*]`);
  let within = false;
  let start = 0;
  let end = 0;
  for (const [i, line] of lines.entries()) {
    if (within && line.startsWith("[")) {
      if (hasValues(lines.slice(start, i))) {
        end = i;
        break;
      }
      within = false;
      start = end = 0;
    }
    if (header.test(line)) {
      within = true;
      start = i;
    }
  }
  const before = lines.slice(0, start);
  let part = lines.slice(start, end);
  const after = lines.slice(end);
  const touched = part.map(() => false);
  let noValuePresent = false;
  const update = (i: number, line: string) => {
    let differs: boolean | undefined;
    if (args.ignore_spaces && !matchOption(option!, part[i])![2]) differs = matchOption(option!, part[i])![8] !== matchOption(option!, line)![8];
    differs ??= part[i] !== line;
    if (differs) part[i] = line;
    changed ||= differs;
    touched[i] = true;
  };
  if (args.state !== "absent" && option) {
    for (const [i, line] of part.entries()) {
      const m = match(option, line);
      if (!m) continue;
      if (values.length && values.includes(m[8])) {
        if (!m[8] && noValue) {
          update(i, `${option}\n`);
          noValuePresent = true;
        } else update(i, format(option, m[8]));
        values.splice(values.indexOf(m[8]), 1);
      } else if (!values.length && noValue) {
        update(i, `${option}\n`);
        noValuePresent = true;
        break;
      }
    }
  }
  if (args.state !== "absent" && exclusive && !noValue) {
    if (values.length)
      for (const [i, line] of part.entries()) {
        if (touched[i] || !match(option!, line)) continue;
        update(i, format(option!, values.shift()!));
        if (!values.length) break;
      }
    // Backwards, and never the section's own line (index 0), as Ansible's loop runs.
    for (let i = part.length - 1; i > 0; i--) {
      if (touched[i] || !match(option!, part[i])) continue;
      part.splice(i, 1);
      touched.splice(i, 1);
      changed = true;
    }
  }
  if (args.state !== "absent") {
    for (let i = part.length; i > 0; i--) {
      if (BLANK_OR_COMMENT.test(bare(part[i - 1]))) continue;
      if (option && values.length) {
        part.splice(i, 0, ...values.map((v) => format(option, v)));
        changed = true;
      } else if (option && !values.length && noValue && !noValuePresent) {
        part.splice(i, 0, `${option}\n`);
        changed = true;
      }
      break;
    }
  } else if (option) {
    const kept = part.filter((l) => {
      const m = matchActive(option, l);
      return !(m && (exclusive || (values.length > 0 && values.includes(m[8]))));
    });
    if (exclusive || values.length) {
      changed ||= kept.length !== part.length;
      part = kept;
    }
  } else if (part.length) {
    part = [];
    changed = true;
  }
  const out = [...before, ...part, ...after].slice(1, -1);
  if (!within && args.state !== "absent") {
    out.push(`[${section}]\n`);
    for (const c of args.section_has_values ?? []) {
      if (c.option !== option) {
        if (c.values?.length) out.push(...c.values.map((v) => format(c.option, v)));
        else if (noValue) out.push(`${c.option}\n`);
      } else if (!exclusive) for (const v of c.values ?? []) if (!values.includes(v)) values.push(v);
    }
    if (option && values.length) out.push(...values.map((v) => format(option, v)));
    else if (option && noValue) out.push(`${option}\n`);
    changed = true;
  }
  return { text: out.join(""), changed };
}

async function plan(args: Args, probe: Probe, ctx: PlanContext): Promise<Plan> {
  if (args.state !== "absent" && !args.allow_no_value && args.value === undefined && !args.values?.length && args.option !== undefined)
    return planFailure("Parameter 'value(s)' must be defined if state=present and allow_no_value=False.");
  const current = await probe.readFile(args.path);
  if (current === null && args.create === false) return planFailure(`Destination ${args.path} does not exist!`);
  const done = edit(current, args);
  // Ansible writes only when it counts a change; an unchanged file still gets its attributes.
  const content = done.changed ? done.text : (current ?? done.text);
  return file.plan({ path: args.path, content, mode: args.mode, owner: args.owner, group: args.group, backup: args.backup }, probe, ctx);
}

const name = { type: "string", pattern: "^[^\\n\\]]*$" } as const;

export default defineModule<Args>({
  name: "ini_file",
  aliases: ["community.general.ini_file"],
  description:
    "Set or remove one option in one section of an INI file (or the section itself), keeping every other line as it is; `values` for an option that repeats; a missing section is appended. Written whole and atomically, then given `mode`, `owner` and `group`.",
  schema: {
    type: "object",
    properties: {
      path: { ...absolutePath, aliases: ["dest"], description: "The INI file on the host." },
      section: { anyOf: [name, { type: "null" }], description: "The section; unset or null: the lines before the first section." },
      section_has_values: {
        type: "array",
        items: {
          type: "object",
          properties: { option: { type: "string" }, values: { type: "array", items: { type: "string" } } },
          required: ["option"],
          additionalProperties: false,
        },
        description: "Among sections of the same name, the one holding these options (and values).",
      },
      option: { type: "string", minLength: 1, aliases: ["key"], description: "The option; unset with `state: absent`: the whole section." },
      value: { type: "string", description: "Its value." },
      values: { type: "array", items: { type: "string" }, description: "Its values, one line each (an option that repeats)." },
      state: { enum: ["present", "absent"], default: "present" },
      exclusive: {
        type: "boolean",
        default: true,
        description: "Present: other values of the option go; absent: every line of the option goes, whatever its value.",
      },
      no_extra_spaces: { type: "boolean", default: false, description: "`option=value` rather than `option = value`." },
      ignore_spaces: { type: "boolean", default: false, description: "A line that differs only in spacing is no change." },
      allow_no_value: { type: "boolean", default: false, description: "An option without a value (`skip-name-resolve`)." },
      modify_inactive_option: { type: "boolean", default: true, description: "Take over a commented-out (`#` or `;`) line of the option." },
      create: { type: "boolean", default: true, description: "Create the file when it is missing." },
      backup: { type: "boolean", default: false },
      mode: { type: ["string", "integer"], description: "Octal mode, e.g. '0644'." },
      owner: accountName,
      group: accountName,
      follow: { unimplemented: { why: "hoist edits the path given, not a link's target", harmless: [false] } },
      unsafe_writes: { unimplemented: { why: "hoist's writes are always atomic", harmless: [false, true] } },
      attributes: { unimplemented: { why: "chattr attributes", harmless: [null, ""] } },
    },
    required: ["path"],
    additionalProperties: false,
  },
  notes: "As Ansible's module: a file without a final newline is a change (the newline is added); a new file starts with an empty line.",
  examples: `
- name: PHP's memory limit
  ini_file: { path: /etc/php/8.2/fpm/php.ini, section: PHP, option: memory_limit, value: 256M }
- name: no name lookups in MySQL
  ini_file: { path: /etc/mysql/conf.d/local.cnf, section: mysqld, option: skip-name-resolve, allow_no_value: true }
`,
  plan,
});
