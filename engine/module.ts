/**
 * The module contract. A module is one file in `modules/` (or a user's
 * `--modules DIR`) whose default export satisfies `Module`. `plan` only reads
 * the host, through `Probe`, and returns the plan as data; the engine alone
 * executes steps. Check mode is therefore the same plan without the steps.
 *
 * The examples in this file run (`deno test --doc`, from test/engine/contract-examples.test.ts).
 *
 * @example
 * ```ts
 * import { defineModule, noChange, type PlanContext, type Probe } from "./module.ts";
 *
 * const motd = defineModule<{ text: string }>({
 *   name: "motd",
 *   description: "Manage /etc/motd.",
 *   schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
 *   examples: "- motd: { text: hello }",
 *   async plan(args, probe) {
 *     const before = await probe.readFile("/etc/motd");
 *     if (before === args.text) return noChange("content matches");
 *     return { changes: [{ field: "content", path: "/etc/motd", before, after: args.text }], steps: [{ write: "/etc/motd", content: args.text }] };
 *   },
 * });
 *
 * // A probe answering from memory, as the fixtures do:
 * const probe: Probe = {
 *   host: "node1",
 *   check: true,
 *   fact: () => Promise.reject(new Error("no facts here")),
 *   readFile: async (path) => (path === "/etc/motd" ? "old\\n" : null),
 *   stat: async () => null,
 *   statMany: async (paths) => new Map(paths.map((p) => [p, null])),
 *   remembered: async () => null,
 * };
 * const plan = await motd.plan({ text: "hello\\n" }, probe, {} as PlanContext);
 * if (plan.steps.length !== 1 || plan.changes[0].before !== "old\\n") throw new Error("the plan writes the new text once");
 * ```
 */

// The contract in one import for module authors (`import { defineModule, defineFact } from "@hoist-iac/hoist"`).
// This file defines nothing: each part lives in a file of its own.
export { defineFact, factKey, type Fact, type RememberedFact, type Remembered } from "./fact.ts";
export * from "./projection.ts";
/** What a command printed, and its exit code (defined with the transport, which knows nothing of modules). */
export type { RunResult } from "./connection/types.ts";
export type { Stat, Probe } from "./contract/probe.ts";
export {
  isWrite,
  resourceOf,
  changesHost,
  noChange,
  planFailure,
  cannotKnow,
  type Change,
  type RunStep,
  type WriteStep,
  type Step,
  type StepOutput,
  type Plan,
} from "./contract/plan.ts";
export { defineModule, type Module, type PlanContext, type ValidateContext } from "./contract/module.ts";
/** Python's `re` syntax, which Ansible's modules take (`regexp:`), as JavaScript's RegExp and replacement. */
export { pythonRegex, pythonReplacement } from "./template/jinja/python-regex.ts";
