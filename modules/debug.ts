/**
 * debug: print a message or a variable.
 */
import { defineModule, noChange, type PlanContext } from "../engine/module.ts";

/** `var:` as Ansible reads it: an expression (`who.stdout`, `groups['web'][0]`) of the task's variables; Ansible's words when undefined. */
function variable(expression: string, ctx: PlanContext): unknown {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(expression)) return expression in ctx.vars ? ctx.vars[expression] : NOT_DEFINED;
  try {
    return JSON.parse(ctx.render(`{{ (${expression}) | to_json }}`));
  } catch {
    return NOT_DEFINED;
  }
}

const NOT_DEFINED = "VARIABLE IS NOT DEFINED!";

export default defineModule<{ msg?: unknown; var?: string; verbosity?: number }>({
  name: "debug",
  description: "Print a message or a variable's value. Changes nothing.",
  schema: {
    type: "object",
    properties: {
      msg: {},
      var: { type: "string" },
      verbosity: { type: "integer", minimum: 0, maximum: 5, description: "Print only when the run has at least this many -v." },
    },
    additionalProperties: false,
  },
  notes: "Below its `verbosity` the task is ok with nothing printed (Ansible reports it skipped).",
  freeForm: "msg",
  examples: `
- debug: msg="{{ inventory_hostname }} has {{ groups.all | length }} peers"
- debug: { var: join_command }
`,
  async plan(args, _probe, ctx) {
    if ((args.verbosity ?? 0) > Number(ctx.vars.ansible_verbosity ?? 0)) return noChange({ result: { skipped_reason: "Verbosity threshold not met." } });
    const value = args.var !== undefined ? variable(args.var, ctx) : (args.msg ?? "Hello world!");
    const msg = args.var !== undefined ? `${args.var} = ${JSON.stringify(value)}` : typeof value === "string" ? value : JSON.stringify(value);
    return noChange({ result: { msg } });
  },
});
