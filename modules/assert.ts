/**
 * assert: fail the host unless conditions hold; `fail` when given no conditions.
 */
import { defineModule, noChange, planFailure } from "../engine/module.ts";

interface Args {
  that?: string | string[];
  msg?: string;
  fail_msg?: string;
  success_msg?: string;
}

export default defineModule<Args>({
  name: "assert",
  aliases: ["fail"],
  description: "Check conditions (expressions as in `when`); the task fails with `fail_msg` when one is false. With no `that`, always fails (Ansible's fail).",
  schema: {
    type: "object",
    properties: {
      that: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      msg: { type: "string" },
      fail_msg: { type: "string" },
      success_msg: { type: "string" },
    },
    additionalProperties: false,
  },
  examples: `
- assert:
    that: [ "groups.masters | length >= 3" ]
    fail_msg: "MicroK8s HA needs three masters"
- fail: msg="unsupported distribution"
  when: ansible_distribution != 'Debian'
`,
  async plan(args, _probe, ctx) {
    const conditions = args.that === undefined ? [] : Array.isArray(args.that) ? args.that : [args.that];
    if (conditions.length === 0) return planFailure(args.msg ?? args.fail_msg ?? "failed as requested");
    for (const c of conditions) {
      if (!ctx.test(c)) return noChange({ fail: args.fail_msg ?? args.msg ?? `assertion failed: ${c}`, result: { assertion: c } });
    }
    return noChange({ result: { msg: args.success_msg ?? "all assertions passed" } });
  },
});
