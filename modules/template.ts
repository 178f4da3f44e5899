/**
 * template: Ansible's template module — render a file from the control
 * machine (the role's `templates/` first) onto the host. A front of `file`,
 * which does the writing: atomic, validated, with mode, owner and group.
 */
import { defineModule } from "../engine/module.ts";
import { destinationProperties, planDestination, type Destination } from "./lib/file-front.ts";

interface Args extends Destination {
  src: string;
}

export default defineModule<Args>({
  name: "template",
  description:
    "Render a template (Jinja2 syntax) from the control machine to a file on the host; `src` is looked for in the role's templates/, then beside the playbook.",
  schema: {
    type: "object",
    properties: {
      src: { type: "string", minLength: 1, description: "The template on the control machine." },
      ...destinationProperties,
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
  plan: (args, probe, ctx) => planDestination(args, probe, { ...ctx, readLocal: (p) => ctx.readLocal(p, "templates") }, { template: true }),
});
