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
 * import { defineModule, type PlanContext, type Probe } from "./module.ts";
 *
 * const motd = defineModule<{ text: string }>({
 *   name: "motd",
 *   description: "Manage /etc/motd.",
 *   schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"], additionalProperties: false },
 *   examples: "- motd: { text: hello }",
 *   async plan(args, probe) {
 *     const before = await probe.readFile("/etc/motd");
 *     if (before === args.text) return { changes: [], steps: [], reason: "content matches" };
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

import type { Fact, RememberedFact } from "./fact.ts";
import type { Projection } from "./projection.ts";

// The contract in one import for module authors (`import { defineModule, defineFact } from "hoist"`).
export { defineFact, factKey, type Fact } from "./fact.ts";
export * from "./projection.ts";

/** What a command printed, and its exit code (defined with the transport, which knows nothing of modules). */
export type { RunResult } from "./connection/types.ts";
import type { RunResult } from "./connection/types.ts";

/**
 * What `stat` reports; `null` from `Probe.stat` means the path does not exist.
 *
 * @example
 * ```ts
 * import type { Stat } from "./module.ts";
 * const hosts: Stat = { type: "file", mode: "0644", owner: "root", group: "root", size: 221 };
 * if (hosts.mode !== "0644") throw new Error("example");
 * ```
 */
export interface Stat {
  type: "file" | "directory" | "link" | "other";
  /** Octal permission bits, four digits ("0644"). */
  mode: string;
  owner: string;
  group: string;
  size: number;
  /** Link target, for links. */
  target?: string;
}

/**
 * Read-only access to one host. Answers are memoised per host and forgotten
 * once something is applied to that host that may change them. In check mode, reads see the state
 * that earlier planned (but not applied) changes would have produced.
 *
 * @example
 * ```ts
 * import { defineFact, type Probe } from "./module.ts";
 * const Hostname = defineFact<Record<string, never>, string>({ name: "Hostname", command: () => ["hostname"], parse: (r) => r.stdout.trim() });
 * async function describe(probe: Probe): Promise<string> {
 *   const [name, hosts] = await Promise.all([probe.fact(Hostname, {}), probe.stat("/etc/hosts")]);
 *   return `${name}: /etc/hosts is ${hosts ? hosts.mode : "missing"}`;
 * }
 * const probe = { host: "h", check: false, fact: async () => "node1", readFile: async () => null, stat: async () => null, statMany: async () => new Map() } as unknown as Probe;
 * if ((await describe(probe)) !== "node1: /etc/hosts is missing") throw new Error("example");
 * ```
 */
export interface Probe {
  readonly host: string;
  readonly check: boolean;
  /**
   * Read a fact (see `engine/fact.ts`): memoised until a step touches the
   * host, unless the fact is `fresh`; in check mode, what earlier planned
   * changes would make of it.
   */
  fact<A, V>(fact: Fact<A, V>, args: A): Promise<V>;
  /** File content as UTF-8, or null when absent. */
  readFile(path: string): Promise<string | null>;
  stat(path: string): Promise<Stat | null>;
  /** Several stats in one round trip. */
  statMany(paths: string[]): Promise<Map<string, Stat | null>>;
  /**
   * Read a remembered fact (see `RememberedFact`): its value kept on the
   * control machine when the host reports the same identity, so an
   * unchanged file is not hashed again run after run; null when the host
   * has none (a missing file).
   */
  remembered<A, V>(fact: RememberedFact<A, V>, args: A): Promise<V | null>;
}

/**
 * One field a plan changes: what `--diff` prints and JSON output carries.
 *
 * @example
 * ```ts
 * import type { Change } from "./module.ts";
 * const mode: Change = { field: "mode", path: "/etc/shadow", before: "0644", after: "0640" };
 * const key: Change = { field: "content", path: "/etc/ssl/private/k.pem", before: null, after: "-----BEGIN PRIVATE KEY-----", sensitive: true };
 * if (!key.sensitive || mode.before === mode.after) throw new Error("example");
 * ```
 */
export interface Change {
  /**
   * The thing that changes, as a stable address `kind:name` (`unit:nginx.service`,
   * `package:hello`, `sysctl:net.ipv4.ip_forward`, `k8s:ConfigMap/default/web`):
   * what a drift report names. Unset, a change with a `path` is `file:PATH`
   * (see `resourceOf`).
   */
  resource?: string;
  field: string;
  before: unknown;
  after: unknown;
  /** For file contents: the path, so the diff is printed as a unified diff of that file. */
  path?: string;
  /**
   * Before and after are secret (key material, a token): output, --diff and
   * --json show that the field changes, never its values.
   */
  sensitive?: boolean;
}

/**
 * Run an argv on the host.
 *
 * @example
 * ```ts
 * import type { RunStep } from "./module.ts";
 * const step: RunStep = { run: ["mkdir", "-p", "--", "/srv/data"], touches: ["/srv/data"] };
 * if (step.run[0] !== "mkdir") throw new Error("example");
 * ```
 */
export interface RunStep {
  run: string[];
  stdin?: string;
  /** Exit codes that count as success (default [0]). */
  okCodes?: number[];
  /**
   * Upkeep, not a change by itself (`apt-get update` before installing): a
   * task whose plan lists no changes and whose steps are all upkeep is ok, in
   * check mode and in a real run alike, so refreshing a cache is never drift.
   */
  upkeep?: boolean;
  /**
   * Exit codes (among the successful) meaning the step found nothing to
   * change — a download equal to the file there: when every step of the plan
   * says so, the task is ok, not changed.
   */
  unchangedCodes?: number[];
  /**
   * The paths the command changes (each with what is under it, and the
   * parents it may create). Reads of other paths stay memoised after it ran;
   * without `touches`, a command may change anything and every read is forgotten.
   */
  touches?: string[];
  /** Human description, used in output and check-mode results. */
  describe?: string;
}

/**
 * Write a file atomically: temporary file, fsync, length and digest checked, rename.
 *
 * @example
 * ```ts
 * import type { WriteStep } from "./module.ts";
 * const step: WriteStep = { write: "/etc/haproxy/haproxy.cfg", content: "global\\n", mode: "0644", validate: ["haproxy", "-c", "-f", "%s"] };
 * if (!step.validate?.includes("%s")) throw new Error("example");
 * ```
 */
export interface WriteStep {
  write: string;
  content: string;
  /** Content is base64 of binary data. */
  base64?: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  /** Command run on the new content before it replaces the old; `%s` is the temporary file. */
  validate?: string[];
  /** Keep a timestamped copy of the old file. */
  backup?: boolean;
  describe?: string;
}

/**
 * One thing the engine does on the host for a plan: run an argv or write a file.
 *
 * @example
 * ```ts
 * import { isWrite, type Step } from "./module.ts";
 * const steps: Step[] = [{ write: "/etc/motd", content: "hi\\n" }, { run: ["systemctl", "reload", "--", "motd.service"] }];
 * if (steps.filter(isWrite).length !== 1) throw new Error("example");
 * ```
 */
export type Step = RunStep | WriteStep;

/**
 * What a step produced, given to `Plan.next`.
 *
 * @example
 * ```ts
 * import type { StepOutput } from "./module.ts";
 * const out: StepOutput = { step: { run: ["microk8s", "add-node"] }, code: 0, stdout: "microk8s join 10.0.0.1:25000/abc\\n", stderr: "" };
 * const token = out.stdout.split("\\n")[0].split(" ").pop();
 * if (token !== "10.0.0.1:25000/abc") throw new Error("example");
 * ```
 */
export interface StepOutput extends RunResult {
  step: Step;
}

/**
 * The plan as data. An empty `changes` with `steps` empty means "ok, nothing to do".
 *
 * @example
 * ```ts
 * import { isWrite, projectFact, defineFact, type Plan } from "./module.ts";
 * const Unit = defineFact<{ unit: string }, string>({ name: "Unit", command: ({ unit }) => ["systemctl", "is-active", "--", unit], parse: (r) => r.stdout.trim() });
 * const plan: Plan = {
 *   changes: [{ field: "state", before: "inactive", after: "active" }],
 *   steps: [{ run: ["systemctl", "start", "--", "nginx.service"] }],
 *   projects: [projectFact(Unit, { unit: "nginx.service" }, "active")],
 * };
 * if (plan.steps.some(isWrite)) throw new Error("a run step, not a write");
 * ```
 */
export interface Plan {
  changes: Change[];
  steps: Step[];
  /** Why nothing needs doing, or a short note on what would be done. */
  reason?: string;
  /**
   * What the changes would make true, or unknowable, for the plans after it
   * in check mode (see `engine/projection.ts`). Writes are projected by the
   * engine itself; a plan projects what its commands do.
   */
  projects?: Projection[];
  /** Values added to the registered result (`register:`). */
  result?: Record<string, unknown>;
  /** Variables set on the host for later tasks (as `set_fact`). */
  facts?: Record<string, unknown>;
  /**
   * Variables read from a file on the control machine (`include_vars`), for
   * later tasks on the host; templates in them render when read, so they
   * must never hold what a host answered (that goes in `facts`).
   */
  vars?: Record<string, unknown>;
  /**
   * Facts about the host (Ansible's `ansible_facts` return value): merged
   * into the host's facts, each readable as `ansible_facts.<name>` and as
   * `ansible_<name>`; with `delegate_facts`, the delegate's.
   */
  hostFacts?: Record<string, unknown>;
  /** The module decided the task fails, with this message. */
  fail?: string;
  /**
   * The effect of the steps cannot be known before they run (a shell command):
   * check mode reports the task skipped with this reason, as Ansible does.
   */
  unpredictable?: string;
  /**
   * Check mode: what the task would do depends on what cannot be known
   * before the run (a port an earlier change would open, a download's
   * content): reported unknown with this reason. Never set in a real run.
   */
  unknown?: string;
  /** When the steps' own output decides what comes next (a join token): called after they ran, never in check mode. */
  next?: (outputs: StepOutput[], probe: Probe) => Promise<Plan>;
  /** Count the task as changed even without listed changes (a command that ran). */
  changed?: boolean;
}

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
 * What a module's `check` may read when the playbook loads.
 *
 * @example
 * ```ts
 * import type { CheckContext } from "./module.ts";
 * const context: CheckContext = { readVars: (path) => (path === "prod.yml" ? { replicas: 3 } : undefined) };
 * if (context.readVars("prod.yml")?.replicas !== 3 || context.readVars("none.yml") !== undefined) throw new Error("example");
 * ```
 */
export interface CheckContext {
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
   * check: (args) => (args.cmd?.includes("\0") ? "a command cannot hold NUL" : undefined)
   */
  check?(args: A, context?: CheckContext): string | undefined;
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
 * const noop = defineModule({ name: "noop", description: "Nothing.", schema: { type: "object" }, examples: "- noop: {}", plan: async () => ({ changes: [], steps: [], reason: "nothing to do" }) });
 * if (noop.name !== "noop") throw new Error("example");
 * ```
 */
export function defineModule<A>(module: Module<A>): Module<A> {
  return module;
}

/**
 * True for a step that writes a file (rather than runs a command).
 *
 * @example
 * ```ts
 * import { isWrite } from "./module.ts";
 * if (!isWrite({ write: "/etc/motd", content: "hi\\n" }) || isWrite({ run: ["true"] })) throw new Error("example");
 * ```
 */
export function isWrite(step: Step): step is WriteStep {
  return (step as WriteStep).write !== undefined;
}

/**
 * The resource a change names: its own `resource`, else `file:PATH` for a
 * change with a path, else undefined.
 *
 * @example
 * ```ts
 * import { resourceOf } from "./module.ts";
 * if (resourceOf({ field: "mode", path: "/etc/motd", before: "0644", after: "0600" }) !== "file:/etc/motd") throw new Error("example");
 * if (resourceOf({ resource: "unit:nginx.service", field: "state", before: "inactive", after: "active" }) !== "unit:nginx.service") throw new Error("example");
 * ```
 */
export function resourceOf(change: Change): string | undefined {
  return change.resource ?? (change.path !== undefined ? `file:${change.path}` : undefined);
}

/**
 * True for a step that changes something (not upkeep such as a cache refresh).
 *
 * @example
 * ```ts
 * import { changesHost } from "./module.ts";
 * if (changesHost({ run: ["apt-get", "update"], upkeep: true }) || !changesHost({ write: "/etc/motd", content: "" })) throw new Error("example");
 * ```
 */
export function changesHost(step: Step): boolean {
  return isWrite(step) || !step.upkeep;
}
