/**
 * The plan as data: the changes a module found, the steps that make them,
 * and what they leave for later plans. Part of the module contract
 * (re-exported by engine/module.ts). A rule for growing it: a new field is
 * added only for a fact about the task that no existing field can say and
 * that the engine itself acts on (a decision, not an explanation); a module
 * that only wants to say more says it in `reason` or `result`.
 *
 * @example
 * ```ts
 * import { isWrite, type Plan } from "./plan.ts";
 * const nothing: Plan = { changes: [], steps: [], reason: "content matches" };
 * if (nothing.steps.some(isWrite)) throw new Error("example");
 * ```
 */
import type { RunResult } from "../connection/types.ts";
import type { Projection } from "../projection.ts";
import type { Probe } from "./probe.ts";

/**
 * One field a plan changes: what `--diff` prints and JSON output carries.
 *
 * @example
 * ```ts
 * import type { Change } from "./plan.ts";
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
 * import type { RunStep } from "./plan.ts";
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
 * import type { WriteStep } from "./plan.ts";
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
 * import { isWrite, type Step } from "./plan.ts";
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
 * import type { StepOutput } from "./plan.ts";
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
 * import { isWrite, type Plan } from "./plan.ts";
 * import { projectFact } from "../projection.ts";
 * import { defineFact } from "../fact.ts";
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
 * True for a step that writes a file (rather than runs a command).
 *
 * @example
 * ```ts
 * import { isWrite } from "./plan.ts";
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
 * import { resourceOf } from "./plan.ts";
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
 * import { changesHost } from "./plan.ts";
 * if (changesHost({ run: ["apt-get", "update"], upkeep: true }) || !changesHost({ write: "/etc/motd", content: "" })) throw new Error("example");
 * ```
 */
export function changesHost(step: Step): boolean {
  return isWrite(step) || !step.upkeep;
}

type PlanParts = Omit<Partial<Plan>, "changes" | "steps">;

/**
 * A plan that changes nothing: with the reason it has nothing to do, or with other parts (a result, facts).
 *
 * @example
 * ```ts
 * import { noChange } from "./plan.ts";
 * const ok = noChange("content matches");
 * const read = noChange({ result: { content: "aGk=" } });
 * if (ok.steps.length || ok.reason !== "content matches" || read.result?.content !== "aGk=") throw new Error("example");
 * ```
 */
export function noChange(why?: string | PlanParts): Plan {
  return { changes: [], steps: [], ...(typeof why === "string" ? { reason: why } : why) };
}

/**
 * A plan that fails the task with this message (nothing is done).
 *
 * @example
 * ```ts
 * import { planFailure } from "./plan.ts";
 * if (planFailure("unit web.service not found").fail !== "unit web.service not found") throw new Error("example");
 * ```
 */
export function planFailure(message: string): Plan {
  return { changes: [], steps: [], fail: message };
}

/**
 * Check mode: what the task would do cannot be known before the run, for this reason (a download's content).
 *
 * @example
 * ```ts
 * import { cannotKnow } from "./plan.ts";
 * if (cannotKnow("force: true downloads again").unknown === undefined) throw new Error("example");
 * ```
 */
export function cannotKnow(why: string): Plan {
  return { changes: [], steps: [], unknown: why };
}
