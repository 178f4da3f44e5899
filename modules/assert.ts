/**
 * assert: fail the host unless conditions hold; `fail` when given no conditions.
 */
import { defineModule, noChange, planFailure } from "../engine/module.ts";

interface Args {
  that?: string | string[];
  msg?: string | string[];
  fail_msg?: string | string[];
  success_msg?: string | string[];
  quiet?: boolean;
}

/** A message as Ansible takes it: text, or lines. */
const text = (m: string | string[] | undefined): string | undefined => (Array.isArray(m) ? m.join("\n") : m);

export default defineModule<Args>({
  name: "assert",
  aliases: ["fail"],
  description: "Check conditions (expressions as in `when`); the task fails with `fail_msg` when one is false. With no `that`, always fails (Ansible's fail).",
  schema: {
    type: "object",
    properties: {
      that: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      msg: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      fail_msg: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      success_msg: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] },
      quiet: { type: "boolean", description: "Accepted for Ansible's sake (hoist prints one line either way)." },
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
    if (conditions.length === 0) return planFailure(text(args.msg) ?? text(args.fail_msg) ?? "failed as requested");
    for (const c of conditions) {
      if (!ctx.test(c)) return noChange({ fail: text(args.fail_msg) ?? text(args.msg) ?? `assertion failed: ${c}`, result: { assertion: c } });
    }
    return noChange({ result: { msg: text(args.success_msg) ?? "all assertions passed" } });
  },
});
