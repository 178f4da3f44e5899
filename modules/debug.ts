/**
 * debug: print a message or a variable.
 */
import { defineModule, noChange } from "../engine/module.ts";

export default defineModule<{ msg?: unknown; var?: string }>({
  name: "debug",
  description: "Print a message or a variable's value. Changes nothing.",
  schema: { type: "object", properties: { msg: {}, var: { type: "string" } }, additionalProperties: false },
  freeForm: "msg",
  examples: `
- debug: msg="{{ inventory_hostname }} has {{ groups.all | length }} peers"
- debug: { var: join_command }
`,
  async plan(args, _probe, ctx) {
    const value = args.var !== undefined ? ctx.vars[args.var] : (args.msg ?? "Hello world!");
    const msg = args.var !== undefined ? `${args.var} = ${JSON.stringify(value)}` : typeof value === "string" ? value : JSON.stringify(value);
    return noChange({ result: { msg } });
  },
});
