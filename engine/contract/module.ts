/**
 * A module: its name, argument schema and documentation, the validation of
 * its arguments, and `plan`. Part of the module contract (re-exported by
 * engine/module.ts); docs/writing-a-module.md walks through writing one.
 *
 * @example
 * ```ts
 * import { defineModule } from "./module.ts";
 * const m = defineModule({ name: "noop", description: "Nothing.", schema: { type: "object" }, examples: "- noop: {}", plan: async () => ({ changes: [], steps: [] }) });
 * if (m.name !== "noop") throw new Error("example");
 * ```
 */
import type { Plan } from "./plan.ts";
import type { Probe } from "./probe.ts";

/**
 * What the engine tells a module besides its arguments.
 *
 * @example
 * ```ts
 * import type { PlanContext } from "./module.ts";
 * const ctx: PlanContext = {
 *   render: (t) => t.replace("{{ name }}", "web"),
 *   playbookDir: ".",
 *   readLocal: async () => new Uint8Array() as never,
 *   readVars: async (file) => ({ file, vars: {} }),
 *   vars: { name: "web" },
 *   test: () => true,
 * };
 * if (ctx.render("host {{ name }}") !== "host web") throw new Error("example");
 * ```
 */
export interface PlanContext {
  /** Render a string through the templater with the task's variables (for `template: true`). */
  render(text: string): string;
  /** The directory of the playbook, to resolve relative `src` paths on the control machine. */
  playbookDir: string;
  /**
   * Read a file on the control machine; a relative path is looked for in the
   * task's role (`files/` or `templates/` first, as `kind` says), then beside the playbook.
   */
  readLocal(path: string, kind?: "files" | "templates"): Promise<Buffer>;
  /**
   * A variables file on the control machine (YAML or JSON holding a
   * mapping), looked for in the role's `vars/`, then beside the playbook;
   * bad YAML throws naming file, line and column.
   */
  readVars(path: string): Promise<{ file: string; vars: Record<string, unknown> }>;
  /** Variables of the host as the task sees them. */
  vars: Record<string, unknown>;
  /** Evaluate a condition as `when:` does. */
  test(expression: string): boolean;
}

/**
 * What a module's `validate` may read when the playbook loads.
 *
 * @example
 * ```ts
 * import type { ValidateContext } from "./module.ts";
 * const context: ValidateContext = { readVars: (path) => (path === "prod.yml" ? { replicas: 3 } : undefined) };
 * if (context.readVars("prod.yml")?.replicas !== 3 || context.readVars("none.yml") !== undefined) throw new Error("example");
 * ```
 */
export interface ValidateContext {
  /**
   * A variables file where `PlanContext.readVars` would find it; undefined
   * when there is none yet (an earlier task may make it). One that does not
   * read (bad YAML, not a mapping) throws, naming file, line and column.
   */
  readVars(path: string): Record<string, unknown> | undefined;
}

/**
 * What a module file's default export is (built with `defineModule`).
 *
 * @example
 * ```ts
 * import type { Module } from "./module.ts";
 * const m: Module<{ msg: string }> = { name: "say", description: "Says.", schema: { type: "object" }, examples: "- say: { msg: hi }", plan: async (args) => ({ changes: [], steps: [], result: { msg: args.msg } }) };
 * if (m.freeForm !== undefined) throw new Error("example");
 * ```
 */
export interface Module<A = any> {
  name: string;
  /** One paragraph; the first sentence is shown by `hoist modules`. */
  description: string;
  /** JSON Schema of the arguments (ajv, draft-07 + defaults). */
  schema: Record<string, unknown>;
  /** A YAML example of tasks using the module. */
  examples: string;
  /** Where the module differs from the Ansible module of the same name. */
  notes?: string;
  /** The argument a free-form string fills (`command: ls -l` means `{ cmd: "ls -l" }`). */
  freeForm?: string;
  /** Other names users know the module by (`ansible.builtin.copy`). */
  aliases?: string[];
  /**
   * What the schema cannot say about the arguments (a free-form command line
   * that does not split into words): the problem, or undefined. Called when
   * the playbook loads, for arguments without templates, and again once they
   * are rendered, before the plan.
   *
   * At load, `context` reads the control machine's files as the plan would,
   * so that a broken one is refused before any host is touched.
   *
   * @example
   * validate: (args) => (args.cmd?.includes("\0") ? "a command cannot hold NUL" : undefined)
   */
  validate?(args: A, context?: ValidateContext): string | undefined;
  /**
   * The module that gathers host facts (`setup`): the engine runs it, with
   * `{ gather_subset }`, when a play with `gather_facts` reads facts. Maps
   * each fact it gathers (without `ansible_`) to the `gather_subset` group
   * that holds it, so that the engine gathers only the groups a play reads,
   * and a read of a fact not gathered yet gathers its group. Facts it does
   * not list (one per network interface) come with the group `network`.
   */
  gathersFacts?: Readonly<Record<string, string>>;
  plan(args: A, probe: Probe, context: PlanContext): Promise<Plan>;
}

/**
 * Identity helper that gives a module file its types (see the example at the top of this file).
 *
 * @example
 * ```ts
 * import { defineModule } from "./module.ts";
 * import { noChange } from "./plan.ts";
 * const noop = defineModule({ name: "noop", description: "Nothing.", schema: { type: "object" }, examples: "- noop: {}", plan: async () => noChange("nothing to do") });
 * if (noop.name !== "noop") throw new Error("example");
 * ```
 */
export function defineModule<A>(module: Module<A>): Module<A> {
  return module;
}
