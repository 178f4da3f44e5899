/**
 * set_fact: set variables on the host for the tasks that follow.
 */
import { defineModule, noChange } from "../engine/module.ts";

export default defineModule<Record<string, unknown>>({
  name: "set_fact",
  description: "Set host variables for later tasks (above play vars; see README Variables).",
  schema: { type: "object", minProperties: 1, propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_]*$" } },
  examples: `
- set_fact:
    first_master: "{{ groups.masters | first }}"
`,
  async plan(args) {
    const facts = Object.fromEntries(Object.entries(args).filter(([k]) => k !== "cacheable"));
    return noChange({ facts, result: { ansible_facts: facts } });
  },
});
