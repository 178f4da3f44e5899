/**
 * One attempt at a task for one set of variables: render and validate the
 * arguments, plan through a fresh probe (reads only), then either predict
 * (check mode: the plan projected for later plans, nothing applied) or
 * apply its steps. `retries` and `until` repeat attempts (retries.ts).
 *
 * @example
 * const result = await runOnce(task, host, vars, env);
 */
import { readFile } from "node:fs/promises";
import type { Task } from "../load/playbook.ts";
import type { Change, Plan, Probe } from "../module.ts";
import { changesHost, isWrite, resourceOf } from "../module.ts";
import type { Connection, Become } from "../connection/types.ts";
import { bounded } from "../connection/bounded.ts";
import { MAX_OUTPUT_BYTES } from "../connection/types.ts";
import { createProbe } from "../host/probe.ts";
import { UnknowableRead } from "../host/overlay.ts";
import { condition, OMIT, renderDeep, renderText, render } from "../template/template.ts";
import { validateSchema } from "../load/validate.ts";
import { convertArguments, unimplementedArgument } from "../load/ansible-arguments.ts";
import type { Vars } from "../vars.ts";
import { findControlFile } from "../load/control-files.ts";
import { loadVarsFile } from "../load/vars-file.ts";
import { failed, skipped, unknownResult, type TaskResult } from "../outcome/result.ts";
import { addFacts } from "./gather.ts";
import type { HostRun, TaskEnvironment } from "./host-run.ts";
import { applyPlan, commandValues, StepError } from "./apply.ts";
import { leavesUnknown, planDoubt, taskLabel } from "./unknown.ts";

/** A task's plan on one host, with what applying it needs. */
interface Planned {
  plan: Plan;
  check: boolean;
  target: HostRun;
  conn: Connection;
  probe: Probe;
  become?: Become;
  /** `environment:` of the task (and its blocks and play), rendered: the variables its commands run with. */
  environment?: Record<string, string>;
  /** Check mode: reads an earlier planned change made unknowable, with the change that did. */
  unknownReads: { read: string; because: string }[];
}

/** Ansible's `environment:`, rendered; names are checked, so that none can become an option of `env`. */
function taskEnvironment(task: Task, vars: Vars): Record<string, string> | undefined {
  if (task.environment === undefined) return undefined;
  const rendered = renderDeep(task.environment, vars);
  if (!rendered || typeof rendered !== "object" || Array.isArray(rendered)) throw new Error(`environment needs a mapping, got ${JSON.stringify(rendered)}`);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(rendered as Vars)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`environment: '${name}' is not a variable name`);
    if (value === OMIT || value === null || value === undefined) continue;
    out[name] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/**
 * Render and validate the arguments, then plan through a fresh probe: reads only. `ahead`: before the task's turn (prefetch).
 *
 * @example
 * const { plan } = await planOnce(task, host, vars, env);
 */
export async function planOnce(task: Task, host: HostRun, vars: Vars, env: TaskEnvironment, ahead = false): Promise<Planned> {
  const module = env.module!;
  const args = convertArguments(module.schema, renderDeep(task.args, vars) as Vars);
  validateSchema(module.schema, args, { what: `module '${module.name}'` });
  const unimplemented = unimplementedArgument(module.schema, args);
  if (unimplemented) throw new Error(`module '${module.name}': ${unimplemented}; this host reached it`);
  const problem = module.validate?.(args);
  if (problem) throw new Error(`module '${module.name}': ${problem}`);
  const check = task.checkMode ?? env.check;
  const target = task.delegateTo ? env.hosts.get(String(render(task.delegateTo, vars))) : host;
  if (!target) throw new Error(`delegate_to: no such host '${task.delegateTo}'`);
  const conn = bounded(await target.connect(), task.timeout === undefined ? undefined : task.timeout * 1000);
  const become = env.become(task, host, vars);
  const unknownReads: Planned["unknownReads"] = [];
  const probe = createProbe(conn, target.state, { check, become, ahead, onUnknown: (read, because) => unknownReads.push({ read, because }) });
  // Names of control-machine files made by a template are kept inside the role and playbook (see findControlFile).
  const templated = /\{\{|\{%/.test(JSON.stringify(task.args ?? null));
  const plan = await module.plan(args, probe, {
    render: (text) => renderText(text, vars),
    playbookDir: env.playbookDir,
    readLocal: (p, kind = "files") => readFile(findControlFile(p, kind, env.role?.dir, env.playbookDir, templated)),
    readVars: async (p) => {
      const file = findControlFile(p, "vars", env.role?.dir, env.playbookDir, templated);
      return { file, vars: loadVarsFile(file) };
    },
    vars,
    test: (expression) => condition(expression, vars),
  });
  return { plan, check, target, conn, probe, become, environment: taskEnvironment(task, vars), unknownReads };
}

/** Every change named by its resource (`file:PATH`, else `MODULE:FIELD`). */
const addressed = (changes: Change[], module: string) => changes.map((c) => ({ ...c, resource: resourceOf(c) ?? `${module}:${c.field}` }));

const wouldChange = (plan: Plan) => plan.changes.length > 0 || plan.steps.some(changesHost) || !!plan.changed;

const summarize = (plan: Plan): string => [...new Set(plan.changes.map((c) => resourceOf(c) ?? c.field))].join(", ") || plan.reason || "changes";

/** Check mode: what the run would do, projected for the plans after it; or skipped, for a command whose effect is unknown. */
function predict({ plan, target }: Planned, task: Task, changes: Change[]): TaskResult {
  const values = { ...plan.result };
  const changing = wouldChange(plan);
  if (plan.unpredictable && changing) {
    // A command's effect is unknown: so is everything read after it, unless the task says it changes nothing.
    if (task.changedWhen !== false && task.changedWhen !== "false") leavesUnknown(target, task);
    return { ...skipped(`check mode: ${plan.unpredictable}`), notRun: true, changes, values };
  }
  target.state.project(plan, taskLabel(task));
  const shown = typeof plan.result?.msg === "string" ? plan.result.msg : undefined;
  const msg = changing ? `would change: ${summarize(plan)}` : (shown ?? plan.reason);
  return { status: changing ? "changed" : "ok", changed: changing, changes, msg, values, durationMs: 0 };
}

/** A real run: the steps applied, and what they did. */
async function apply({ plan, conn, target, probe, become, environment }: Planned, module: string): Promise<TaskResult> {
  try {
    const applied = await applyPlan(plan, conn, target.state, probe, become, environment);
    const last = applied.outputs[applied.outputs.length - 1];
    const values: Vars = { ...plan.result, ...applied.plan.result };
    if (last && !isWrite(last.step)) Object.assign(values, commandValues(last));
    // Every step said it found nothing to change (a download equal to the file there): ok.
    const changing = applied.outputs.filter((o) => changesHost(o.step));
    const unchanged = changing.length > 0 && changing.every((o) => !isWrite(o.step) && o.step.unchangedCodes?.includes(o.code));
    const changed = !unchanged && (applied.plan.changes.length > 0 || changing.length > 0 || !!applied.plan.changed);
    const shown = typeof plan.result?.msg === "string" ? plan.result.msg : undefined;
    const cut =
      last && !isWrite(last.step) && last.cutBytes ? `output cut: ${last.cutBytes} bytes past the first ${MAX_OUTPUT_BYTES >> 20} MiB were dropped` : undefined;
    return {
      status: changed ? "changed" : "ok",
      changed,
      changes: unchanged ? [] : addressed(applied.plan.changes, module),
      msg: shown ?? cut ?? (changed ? undefined : plan.reason),
      values,
      durationMs: 0,
    };
  } catch (e) {
    if (e instanceof StepError) return { ...failed(e.message, commandValues(e)), changes: addressed(plan.changes, module) };
    throw e;
  }
}

/**
 * Plan and (unless checking) apply the task once, for one set of variables.
 *
 * @example
 * const result = await runOnce(task, host, vars, env);
 */
export async function runOnce(task: Task, host: HostRun, vars: Vars, env: TaskEnvironment): Promise<TaskResult> {
  const started = Date.now();
  const module = env.module!.name;
  const planned = await planOnce(task, host, vars, env).catch((e: unknown) => {
    // A read that fails on the host as it is, but that an earlier planned change makes unknowable: the task
    // is unknown (failure() says so), and so is whatever it would leave for later reads.
    if (e instanceof UnknowableRead) leavesUnknown(host, task);
    throw e;
  });
  const { plan, check, target } = planned;
  if (plan.facts) Object.assign(host.facts, plan.facts);
  if (plan.vars) Object.assign(host.includedVars, plan.vars);
  if (plan.hostFacts) addFacts(task.delegateFacts ? target : host, plan.hostFacts);
  const changes = addressed(plan.changes, module);
  const doubt = planDoubt(plan, planned.unknownReads, check);
  let result: TaskResult;
  if (doubt) {
    // What this plan read depends on a change not applied: it cannot say what it would do, nor what it would leave.
    target.state.project(plan, taskLabel(task), true);
    result = unknownResult(doubt, { changes, values: { ...plan.result } });
  } else if (plan.fail) result = { ...failed(plan.fail, { ...plan.result }), changes };
  else result = check ? predict(planned, task, changes) : await apply(planned, module);
  // `check_mode: false` in a check run: the task really ran, on a host where earlier planned changes are not made. A
  // failure there may not happen in the real run (the package that brings the command is only planned): unknown.
  const earlier = env.check && !check && result.status === "failed" ? target.state.overlay.lastBy : undefined;
  if (earlier) {
    leavesUnknown(host, task);
    result = unknownResult({ kind: "read", read: "its own run (check_mode: false)", by: earlier }, { changes: result.changes, values: result.values });
  }
  return { ...result, durationMs: Date.now() - started };
}
