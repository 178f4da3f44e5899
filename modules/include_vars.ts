/**
 * include_vars: read variables from a YAML or JSON file on the control
 * machine (the role's `vars/` first, then beside the playbook) for the tasks
 * that follow on the host. Templates in the file render when read.
 */
import { defineModule } from "../engine/module.ts";

interface Args {
  file: string;
  name?: string;
}

export default defineModule<Args>({
  name: "include_vars",
  freeForm: "file",
  description: "Load variables from a YAML or JSON file on the control machine for the rest of the play on this host; `name` puts them under one variable.",
  schema: {
    type: "object",
    properties: {
      file: { type: "string", minLength: 1, description: "The file, looked for in the role's vars/, then beside the playbook." },
      name: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$", description: "The variable that holds them all, instead of one variable each." },
    },
    required: ["file"],
    additionalProperties: false,
  },
  notes: [
    "No `dir`, `files_matching` or `depth`: name the files (a loop over `lookup('fileglob')` is not there either).",
    "Variables from the file sit above play and role vars and below set_fact and registered results, as in Ansible.",
  ].join("\n"),
  examples: `
- name: the distribution's package names
  include_vars: "{{ ansible_os_family }}.yml"
- include_vars: { file: cluster.yml, name: cluster }
`,
  validate(args, context) {
    // A file already there is read at load: a broken one is refused before any host is touched.
    context?.readVars(args.file);
    return undefined;
  },
  async plan(args, _probe, ctx) {
    const { file, vars } = await ctx.readVars(args.file);
    const loaded = args.name ? { [args.name]: vars } : vars;
    return {
      changes: [],
      steps: [],
      reason: `${Object.keys(vars).length} variables from ${file}`,
      vars: loaded,
      result: { ansible_included_var_files: [file], ansible_facts: loaded },
    };
  },
});
