/**
 * getent: Ansible's getent — a name-service database read into facts,
 * `ansible_facts.getent_<database>` (each line's first field the key, the
 * others its list), for later tasks. Reads only, so check mode runs it as
 * the real run does.
 */
import { defineModule, noChange, planFailure, type Plan, type Probe } from "../engine/module.ts";
import { GetentDatabase } from "../facts/getent-database.ts";

interface Args {
  database: string;
  key?: string;
  service?: string;
  split?: string;
  fail_key?: boolean;
}

/** The databases whose fields are colon-separated; others split on whitespace, as Python's `str.split()`. */
const COLON = new Set(["passwd", "shadow", "group", "gshadow"]);

/** One line as its fields: `split` given, by it exactly; else by runs of whitespace. */
function fields(line: string, database: string, split: string | undefined): string[] {
  const by = split ?? (COLON.has(database) ? ":" : undefined);
  return by === undefined ? line.trim().split(/\s+/) : line.split(by);
}

/** The lines keyed by their first field; a key seen again holds the list of every line's other fields, as Ansible's does. */
function tree(lines: string[], args: Args): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  for (const line of lines) {
    const [key, ...rest] = fields(line, args.database, args.split);
    const count = seen.get(key) ?? 0;
    if (count === 0) out[key] = rest;
    else {
      if (count === 1) out[key] = [out[key]];
      (out[key] as unknown[]).push(rest);
    }
    seen.set(key, count + 1);
  }
  return out;
}

async function plan(args: Args, probe: Probe): Promise<Plan> {
  const lines = await probe.fact(GetentDatabase, {
    database: args.database,
    ...(args.key === undefined ? {} : { key: args.key }),
    ...(args.service ? { service: args.service } : {}),
  });
  const name = `getent_${args.database}`;
  if (lines === null) {
    const msg = "One or more supplied key could not be found in the database.";
    if (args.fail_key !== false) return planFailure(msg);
    const facts = { [name]: { [args.key ?? ""]: null } };
    return noChange({ hostFacts: facts, facts, result: { msg } });
  }
  // Ansible's module facts are both `ansible_facts.getent_passwd` and the variable `getent_passwd`.
  const facts = { [name]: tree(lines, args) };
  return noChange({ hostFacts: facts, facts, reason: `${lines.length} entries of ${args.database}` });
}

export default defineModule<Args>({
  name: "getent",
  aliases: ["ansible.builtin.getent"],
  description:
    "Read a name-service database (passwd, group, shadow, hosts, services…) into `ansible_facts.getent_<database>`: each entry's first field the key, the rest its list. Changes nothing.",
  schema: {
    type: "object",
    properties: {
      database: { type: "string", pattern: "^[a-z][a-z0-9_]*$", description: "The database, as getent(1) names it." },
      key: { type: "string", pattern: "^[^-\\s][^\\n\\u0000]*$", description: "One entry to read (a name, a number, an address); unset: all of them." },
      service: { type: "string", pattern: "^[a-z][a-z0-9_]*$", description: "The NSS service to ask (`files`, `systemd`…) rather than nsswitch.conf's order." },
      split: { type: "string", minLength: 1, description: "The field separator; default `:` for passwd, shadow, group and gshadow, whitespace otherwise." },
      fail_key: { type: "boolean", default: true, description: "Fail when `key` is not found; false: the fact maps it to null." },
    },
    required: ["database"],
    additionalProperties: false,
  },
  notes: "As Ansible's: the shadow database holds password hashes, and a fact read from it is shown wherever the fact is printed.",
  examples: `
- name: read the deploy user
  getent: { database: passwd, key: deploy }
- name: its home
  debug: { msg: "{{ ansible_facts.getent_passwd.deploy[4] }}" }
`,
  plan,
});
