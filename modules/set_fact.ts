/**
 * set_fact: set variables on the host for the tasks that follow.
 */
import { defineModule, noChange } from "../engine/module.ts";

export default defineModule<Record<string, unknown>>({
  name: "set_fact",
  description: "Set host variables for later tasks (above play vars; see README Variables).",
  // A name may be a template (`"{{ prefix }}_port": 80`): it is checked once rendered.
  schema: { type: "object", minProperties: 1, propertyNames: { pattern: "^([A-Za-z_][A-Za-z0-9_]*|.*\\{\\{.*\\}\\}.*)$" } },
  examples: `
- set_fact:
    first_master: "{{ groups.masters | first }}"
`,
  async plan(args, _probe, ctx) {
    const facts: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(args)) {
      if (key === "cacheable") continue;
      const name = key.includes("{{") ? ctx.render(key) : key;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return noChange({ fail: `set_fact: '${name}' (from '${key}') is not a variable name` });
      facts[name] = value;
    }
    return noChange({ facts, result: { ansible_facts: facts } });
  },
});
