/**
 * Where check mode decides that it cannot know: the one place that turns
 * an unknowable read, a plan's own doubt, a template reading a registered
 * result that was never really made, or facts an earlier change decides,
 * into an unknown result with a typed reason (outcome/unknown.ts). Every
 * unknown also makes what the task would leave behind unknown to later
 * tasks on the host. No decision here reads a message.
 *
 * @example
 * const result = unknownFrom(e, task, host, env) ?? failure(e);
 */
import type { Task } from "../load/playbook.ts";
import { UnreachableError } from "../connection/types.ts";
import { UnknowableRead } from "../host/overlay.ts";
import { TemplateError } from "../template/template.ts";
import { FactsUnknown, unavailableIn } from "../template/unavailable.ts";
import type { Vars } from "../vars.ts";
import { unknowable } from "../projection.ts";
import { errorMessage } from "../errors.ts";
import { failed, unknownResult, type TaskResult } from "../outcome/result.ts";
import type { UnknownReason } from "../outcome/unknown.ts";
import type { HostRun, TaskEnvironment } from "./host-run.ts";

/**
 * How a task is named where check mode says what made a read unknowable.
 *
 * @example
 * taskLabel(task) // "'install haproxy' (site.yaml:12)"
 */
export const taskLabel = (task: Task): string => `'${task.name}' (${task.where.file.split("/").pop()}:${task.where.line ?? "?"})`;

/**
 * What this task would do is unknown, so is what it would leave: every later read on `host`.
 *
 * @example
 * leavesUnknown(host, task);
 */
export function leavesUnknown(host: HostRun, task: Task): void {
  host.state.overlay.add([unknowable({ everything: true })], taskLabel(task));
}

/** A registered result check mode did not really produce: its task would change, or was unknown (a command it skipped too). */
const untrustedInCheckMode = (v: Vars): boolean => !!(v.unknown || v.changed);

/**
 * A template that fails on what it read from another host's registered result
 * (`hostvars[h].key.stdout`, the host named by a loop variable): the name of
 * such a result the task's templates mention, as `hostvars.HOST.NAME`.
 */
function registeredNameIn(task: Task, env: TaskEnvironment): string | undefined {
  const text = JSON.stringify([task.args, task.when ?? null, task.loop ?? null]);
  for (const h of env.hosts.values())
    for (const [name, v] of Object.entries(h.facts))
      if (v && typeof v === "object" && untrustedInCheckMode(v as Vars) && new RegExp(`\\b${name}\\b`).test(text)) return `hostvars.${h.name}.${name}`;
  return undefined;
}

/**
 * Check mode: a template that reads what a registered result does not hold
 * because its task would change something or could not be known (`{{
 * request.csr }}` after a request check mode could not make, a command's
 * stdout), or a variable that an earlier unknown task might have set
 * (`getent_passwd` from a getent check mode could not run), cannot render
 * before the run; the task is unknown, not failed.
 *
 * @example
 * const r = unknownFrom(e, task, host, env); // undefined: a real failure
 */
export function unknownFrom(e: unknown, task: Task, host: HostRun, env: TaskEnvironment): TaskResult | undefined {
  if (!env.check || !(e instanceof TemplateError)) return undefined;
  const untrusted = (name: string | undefined) => {
    const parts = name?.split(".") ?? [];
    const [owner, register] = parts[0] === "hostvars" ? [env.hosts.get(parts[1]), parts[2]] : [host, parts[0]];
    const registered = register === undefined ? undefined : (owner?.facts[register] as Vars | undefined);
    return !!registered && untrustedInCheckMode(registered);
  };
  // The variable the error names, or (a loop item, another host's result) a registered result the task's templates read.
  const named = e.undefinedName;
  const name = untrusted(named) ? named : registeredNameIn(task, env);
  if (!name || !untrusted(name)) {
    // Undefined, but an earlier task that check mode could not know might have defined it.
    if (named === undefined || host.unknownTask === undefined) return undefined;
    leavesUnknown(host, task);
    return unknownResult({ kind: "facts", host: host.name, by: host.unknownTask });
  }
  leavesUnknown(host, task);
  return unknownResult({ kind: "registered", name });
}

/**
 * The reason a plan cannot be trusted in check mode: a read an earlier
 * planned change decides, or the module's own `unknown`.
 *
 * @example
 * const reason = planDoubt(plan, unknownReads, check); // { kind: "read", read: "stat:/srv/b", by: "'maker' (site.yaml:5)" }
 */
export function planDoubt(
  plan: { unknown?: string; fail?: string },
  unknownReads: { read: string; because: string }[],
  check: boolean,
): UnknownReason | undefined {
  if (!check) return undefined;
  if (unknownReads.length) return { kind: "read", read: unknownReads[0].read, by: unknownReads[0].because };
  // A module that both fails and doubts has decided: the failure stands, as in a real run.
  if (plan.unknown && !plan.fail) return { kind: "module", why: plan.unknown };
  return undefined;
}

/**
 * The result of a task that threw: unknown when an earlier planned change
 * decides what it read (check mode), else failed, or unreachable.
 *
 * @example
 * const r = failure(new Error("boom")); // { status: "failed", msg: "boom", … }
 */
export function failure(e: unknown): TaskResult {
  if (e instanceof UnknowableRead) return unknownResult({ kind: "read", read: e.read, by: e.because });
  const unavailable = unavailableIn(e);
  if (unavailable instanceof FactsUnknown) return unknownResult({ kind: "facts", host: unavailable.host, by: unavailable.because });
  return failed(errorMessage(e), {}, e instanceof UnreachableError ? "unreachable" : "failed");
}
