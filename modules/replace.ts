/**
 * replace: Ansible's replace — every match of a Python regular expression
 * in a file replaced (multiline: `^` and `$` at each line), optionally only
 * in the part after `after` and before `before`. The new content is written
 * by the `file` module (atomic, validated, with mode, owner and group), as
 * Ansible writes it and then sets the file's attributes.
 */
import { defineModule, noChange, planFailure, pythonRegex, pythonReplacement, type Plan, type PlanContext, type Probe } from "../engine/module.ts";
import { absolutePath, accountName } from "./lib/argument-types.ts";
import file from "./file.ts";

interface Args {
  path: string;
  regexp: string;
  replace?: string;
  after?: string;
  before?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  validate?: string;
  backup?: boolean;
}

/** The part of `text` the replacement acts on: between `after` and `before` (Python's DOTALL, the first such part), or all of it. */
function section(text: string, args: Args): { start: number; end: number } | undefined {
  if (args.after === undefined && args.before === undefined) return { start: 0, end: text.length };
  const pattern =
    args.after !== undefined && args.before !== undefined
      ? `${args.after}(?P<subsection>.*?)${args.before}`
      : args.after !== undefined
        ? `${args.after}(?P<subsection>.*)`
        : `(?P<subsection>.*)${args.before}`;
  const match = pythonRegex(pattern, "sd").exec(text);
  const at = match?.indices?.groups?.subsection;
  return at ? { start: at[0], end: at[1] } : undefined;
}

async function plan(args: Args, probe: Probe, ctx: PlanContext): Promise<Plan> {
  const current = await probe.readFile(args.path);
  if (current === null) return planFailure(`Path ${args.path} does not exist !`);
  const part = section(current, args);
  if (!part)
    return noChange({
      reason: "Pattern for before/after params did not match the given file",
      result: { msg: "Pattern for before/after params did not match the given file" },
    });
  const replace = pythonReplacement(args.replace ?? "");
  let count = 0;
  const within = current.slice(part.start, part.end);
  const replaced = within.replace(pythonRegex(args.regexp, "gm"), (...m) => {
    count++;
    return replace(...(m as [string, ...unknown[]]));
  });
  const content = replaced === within ? current : current.slice(0, part.start) + replaced + current.slice(part.end);
  const written = await file.plan(
    { path: args.path, content, mode: args.mode, owner: args.owner, group: args.group, validate: args.validate, backup: args.backup },
    probe,
    ctx,
  );
  const msg = content === current ? "" : `${count} replacements made`;
  return { ...written, result: { ...written.result, msg } };
}

export default defineModule<Args>({
  name: "replace",
  aliases: ["ansible.builtin.replace"],
  description:
    "Replace every match of a regular expression (Python's syntax, multiline) in a file on the host, or only between `after` and `before`; the file is written whole and atomically, then given `mode`, `owner` and `group`. A missing file fails.",
  schema: {
    type: "object",
    properties: {
      path: { ...absolutePath, aliases: ["dest", "destfile", "name"], description: "The file on the host." },
      regexp: { type: "string", minLength: 1, description: "What to replace: a Python regular expression, `^`/`$` at each line." },
      replace: { type: "string", default: "", description: "What replaces each match; `\\1`, `\\g<name>` are its groups." },
      after: { type: "string", description: "Replace only after the first match of this expression." },
      before: { type: "string", description: "Replace only before this expression's match." },
      mode: { type: ["string", "integer"], description: "Octal mode, e.g. '0644'." },
      owner: accountName,
      group: accountName,
      validate: { type: "string", description: "Command checking the new content before it replaces the old; %s is the new file." },
      backup: { type: "boolean", default: false },
      encoding: { unimplemented: { why: "files are read and written as UTF-8", harmless: ["utf-8", "utf8", "UTF-8"] } },
      others: { unimplemented: { why: "the file module's other arguments" } },
      unsafe_writes: { unimplemented: { why: "hoist's writes are always atomic", harmless: [false, true] } },
      seuser: { unimplemented: { why: "SELinux contexts", harmless: [null, "_default"] } },
      serole: { unimplemented: { why: "SELinux contexts", harmless: [null, "_default"] } },
      setype: { unimplemented: { why: "SELinux contexts", harmless: [null, "_default"] } },
      selevel: { unimplemented: { why: "SELinux contexts", harmless: [null, "_default"] } },
      attributes: { unimplemented: { why: "chattr attributes", harmless: [null, ""] } },
    },
    required: ["path", "regexp"],
    additionalProperties: false,
  },
  notes:
    "JavaScript's regular expressions run Python's syntax (named groups, `\\A`, `\\Z`, inline flags); Python's rule for empty matches next to a match may differ.",
  examples: `
- name: listen on every address
  replace: { path: /etc/redis/redis.conf, regexp: '^bind 127\\.0\\.0\\.1.*$', replace: 'bind 0.0.0.0' }
- name: only in the [mysqld] section
  replace: { path: /etc/mysql/my.cnf, after: '\\[mysqld\\]', before: '\\[', regexp: '^#?max_connections.*$', replace: 'max_connections = 500' }
`,
  plan,
});
