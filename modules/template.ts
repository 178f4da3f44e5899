/**
 * template: Ansible's template module — render a file from the control
 * machine (the role's `templates/` first) onto the host. A front of `file`,
 * which does the writing: atomic, validated, with mode, owner and group.
 */
import { defineModule } from "../engine/module.ts";
import { absolutePath, accountName } from "./lib/argument-types.ts";
import file from "./file.ts";

interface Args {
  src: string;
  dest: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  validate?: string;
  backup?: boolean;
  force?: boolean;
}

export default defineModule<Args>({
  name: "template",
  description:
    "Render a template (Jinja2 syntax) from the control machine to a file on the host; `src` is looked for in the role's templates/, then beside the playbook.",
  schema: {
    type: "object",
    properties: {
      src: { type: "string", minLength: 1, description: "The template on the control machine." },
      dest: { ...absolutePath, description: "Where it goes on the host." },
      mode: { type: ["string", "integer"], description: "Octal mode, e.g. '0644'." },
      owner: accountName,
      group: accountName,
      validate: { type: "string", description: "Command checking the new content before it replaces the old; %s is the new file." },
      backup: { type: "boolean", default: false },
      force: { type: "boolean", default: true, description: "false: leave an existing file alone." },
    },
    required: ["src", "dest"],
    additionalProperties: false,
  },
  notes: [
    "Variables from hosts (registered results, facts) are inserted as text, never rendered again.",
    "Like Ansible, `trim_blocks` is on (the newline after a block tag goes); no `newline_sequence`, `lstrip_blocks` or `variable_start_string`.",
  ].join("\n"),
  examples: `
- name: haproxy configuration
  template: { src: haproxy.cfg.j2, dest: /etc/haproxy/haproxy.cfg, mode: "0644", validate: "haproxy -c -f %s" }
  notify: reload haproxy
`,
  async plan(args, probe, ctx) {
    if (args.force === false && (await probe.stat(args.dest))) return { changes: [], steps: [], reason: `${args.dest} exists (force: false)` };
    const { dest, force: _force, ...rest } = args;
    return file.plan({ ...rest, path: dest, template: true }, probe, { ...ctx, readLocal: (p) => ctx.readLocal(p, "templates") });
  },
});
