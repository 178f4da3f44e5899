/**
 * Runs one task on one host: `when`, `loop`, rendering and validating
 * arguments, planning through the probe, then either projecting the plan
 * (check mode) or executing its steps (a real run), and `changed_when`,
 * `failed_when`, `until`/`retries`, `register` and `notify`.
 */
import { readFile } from "node:fs/promises";
import type { Task } from "../load/playbook.ts";
import type { Change, Module, Plan, Probe, StepOutput } from "../module.ts";
import { changesHost, isWrite, resourceOf } from "../module.ts";
import type { Connection, Become } from "../connection/types.ts";
import { UnreachableError } from "../connection/types.ts";
import { bounded } from "../connection/bounded.ts";
import { MAX_OUTPUT_BYTES } from "../connection/types.ts";
import { type HostState, createProbe } from "../host/probe.ts";
import { touchedBy } from "../host/read.ts";
import { UnknowableRead } from "../host/overlay.ts";
import { atomicWrite } from "../host/remote.ts";
import { commandLine } from "../shell.ts";
import { TemplateError, condition, renderDeep, renderText, render } from "../template/template.ts";
import { validateSchema } from "../load/validate.ts";
import { data, scope, type Vars } from "../template/vars.ts";
import { unknowable } from "../projection.ts";
import { commandFailure, errorMessage } from "../errors.ts";
import type { Role } from "../load/roles.ts";
import { findControlFile } from "../load/control-files.ts";
import { loadVarsFile } from "../load/vars-file.ts";
import { addFacts, type KnownFacts } from "./gather.ts";
import { FactsPending, FactsUnknown, unavailableIn } from "../template/unavailable.ts";

/** `unknown`: check mode cannot know until an earlier change is applied (never in a real run). */
export type Status = "ok" | "changed" | "skipped" | "failed" | "unreachable" | "unknown";

export interface TaskResult {
  status: Status;
  changed: boolean;
  msg?: string;
  changes: Change[];
  /** Check mode did not run it (a command): what it would have returned is not known. */
  notRun?: boolean;
  /** Failure was ignored (`ignore_errors`). */
  ignored?: boolean;
  item?: unknown;
  label?: string;
  results?: TaskResult[];
  /** Module-specific values (rc, stdout, …) that `register` exposes. */
  values: Vars;
  durationMs: number;
}

/** One host as the scheduler tracks it. */
export interface HostRun {
  name: string;
  state: HostState;
  connect(): Promise<Connection>;
  /** Registered results and set facts, above play vars: data, never rendered. */
  facts: Vars;
  /** Variables from `include_vars`: templates in them render when read. */
  includedVars: Vars;
  /** Facts gathered (setup) or returned by modules; unset until gathered. */
  hostFacts?: KnownFacts;
  notified: Set<string>;
  failed: boolean;
}

export interface TaskEnvironment {
  module?: Module;
  check: boolean;
  playbookDir: string;
  /** Variables of `host` for this task; `loop` holds loop variables, which are data (never rendered again). */
  vars(host: HostRun, extra?: Vars, loop?: Vars): Vars;
  hosts: Map<string, HostRun>;
  become(task: Task, host: HostRun, vars: Vars): Become | undefined;
  /** When set, the task runs in this mode regardless of --check. */
  inheritedWhen: unknown[];
  /** The role whose files hold the task. */
  role?: Role;
  /** Gather the facts of a host (named by inventory name) now: one group of them, or all. */
  gatherFacts(host: string, group?: string): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a command leaves in its registered result, as Ansible's command module does: the output without its trailing newlines. */
function commandValues(out: { code: number; stdout: string; stderr: string; cutBytes?: number }): Vars {
  return {
    rc: out.code,
    stdout: out.stdout.replace(/[\r\n]+$/, ""),
    stderr: out.stderr.replace(/[\r\n]+$/, ""),
    // Said, never silent: what was kept is the output's head.
    ...(out.cutBytes ? { output_cut_bytes: out.cutBytes } : {}),
  };
}

function registeredValue(r: TaskResult): Vars {
  const v: Vars = {
    ...r.values,
    changed: r.changed,
    failed: r.status === "failed",
    skipped: r.status === "skipped",
    // A command check mode skipped left no output: what it would have registered is unknown.
    ...(r.status === "unknown" || r.notRun ? { unknown: true } : {}),
    msg: r.msg,
    diff: r.changes,
  };
  if (r.results) v.results = r.results.map((x) => ({ ...registeredValue(x), item: x.item }));
  if (typeof v.stdout === "string") v.stdout_lines = (v.stdout as string).split("\n").filter((l, i, a) => i < a.length - 1 || l !== "");
  if (typeof v.stderr === "string") v.stderr_lines = (v.stderr as string).split("\n").filter((l, i, a) => i < a.length - 1 || l !== "");
  return v;
}

function summarize(plan: Plan): string {
  return [...new Set(plan.changes.map((c) => resourceOf(c) ?? c.field))].join(", ") || plan.reason || "changes";
}

function describeStep(step: Plan["steps"][number]): string {
  return step.describe ?? (isWrite(step) ? `write ${step.write}` : commandLine(step.run));
}

/** Execute a plan's steps in order; throws with command, exit code and stderr on failure. */
async function applyPlan(plan: Plan, conn: Connection, state: HostState, probe: Probe, become?: Become): Promise<{ plan: Plan; outputs: StepOutput[] }> {
  const outputs: StepOutput[] = [];
  let current = plan;
  for (;;) {
    const batch: StepOutput[] = [];
    for (const step of current.steps) {
      const r = isWrite(step) ? await atomicWrite(conn, step, become) : await conn.exec(commandLine(step.run), { stdin: step.stdin, become });
      state.forget(touchedBy(step));
      const ok = isWrite(step) ? r.code === 0 : (step.okCodes ?? [0]).includes(r.code);
      batch.push({ ...r, step });
      if (!ok) {
        const err = new StepError(commandFailure(describeStep(step), r), r.code, r.stdout, r.stderr);
        throw err;
      }
    }
    outputs.push(...batch);
    if (!current.next) break;
    const following = await current.next(batch, probe);
    if (following.fail) throw new Error(following.fail);
    current = { ...following, changes: [...current.changes, ...following.changes] };
  }
  return { plan: current, outputs };
}

class StepError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** A task's plan on one host, with what applying it needs. */
interface Planned {
  plan: Plan;
  check: boolean;
  target: HostRun;
  conn: Connection;
  probe: Probe;
  become?: Become;
  /** Check mode: reads an earlier planned change made unknowable, with the change that did. */
  unknown: { read: string; because: string }[];
}

/** Render and validate the arguments, then plan through a fresh probe: reads only. `ahead`: before the task's turn (prefetch). */
async function planOnce(task: Task, host: HostRun, vars: Vars, env: TaskEnvironment, ahead = false): Promise<Planned> {
  const module = env.module!;
  const args = renderDeep(task.args, vars);
  validateSchema(module.schema, args, { what: `module '${module.name}'` });
  const problem = module.check?.(args);
  if (problem) throw new Error(`module '${module.name}': ${problem}`);
  const check = task.checkMode ?? env.check;
  const target = task.delegateTo ? env.hosts.get(String(render(task.delegateTo, vars))) : host;
  if (!target) throw new Error(`delegate_to: no such host '${task.delegateTo}'`);
  const conn = bounded(await target.connect(), task.timeout === undefined ? undefined : task.timeout * 1000);
  const become = env.become(task, host, vars);
  const unknown: Planned["unknown"] = [];
  const probe = createProbe(conn, target.state, { check, become, ahead, onUnknown: (read, because) => unknown.push({ read, because }) });
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
  return { plan, check, target, conn, probe, become, unknown };
}

/** How a task is named where check mode says what made a read unknowable. */
const taskLabel = (task: Task) => `'${task.name}' (${task.where.file.split("/").pop()}:${task.where.line ?? "?"})`;

/** Plan and (unless checking) apply the task once, for one set of variables. */
async function runOnce(task: Task, host: HostRun, vars: Vars, env: TaskEnvironment): Promise<TaskResult> {
  const started = Date.now();
  const { plan, check, target, conn, probe, become, unknown } = await planOnce(task, host, vars, env).catch((e: unknown) => {
    // A read that fails on the host as it is, but that an earlier planned change makes unknowable: the task
    // is unknown (failure() says so), and so is whatever it would leave for later reads.
    if (e instanceof UnknowableRead) host.state.overlay.add([unknowable({ everything: true })], taskLabel(task));
    throw e;
  });
  const addressed = (changes: Change[]) => changes.map((c) => ({ ...c, resource: resourceOf(c) ?? `${env.module!.name}:${c.field}` }));
  const base = { changes: addressed(plan.changes), values: { ...plan.result }, durationMs: 0 };
  if (plan.facts) Object.assign(host.facts, plan.facts);
  if (plan.vars) Object.assign(host.includedVars, plan.vars);
  if (plan.hostFacts) addFacts(task.delegateFacts ? target : host, plan.hostFacts);
  const wouldChange = plan.changes.length > 0 || plan.steps.some(changesHost) || !!plan.changed;
  if (check && unknown.length) {
    // What this plan read depends on a change not applied: it cannot say what it would do, nor what it would leave.
    target.state.project(plan, taskLabel(task), true);
    const { read, because } = unknown[0];
    return {
      ...base,
      status: "unknown",
      changed: false,
      msg: `cannot know until an earlier change is applied: ${read} depends on ${because}`,
      durationMs: Date.now() - started,
    };
  }
  if (plan.fail) return { ...base, status: "failed", changed: false, msg: plan.fail, durationMs: Date.now() - started };
  if (check && plan.unknown) {
    target.state.project(plan, taskLabel(task), true);
    return { ...base, status: "unknown", changed: false, msg: `cannot know before the run: ${plan.unknown}`, durationMs: Date.now() - started };
  }
  const shown = typeof plan.result?.msg === "string" ? plan.result.msg : undefined;
  if (check) {
    if (plan.unpredictable && wouldChange) {
      // A command's effect is unknown: so is everything read after it, unless the task says it changes nothing.
      if (task.changedWhen !== false && task.changedWhen !== "false") target.state.overlay.add([unknowable({ everything: true })], taskLabel(task));
      return { ...base, status: "skipped", changed: false, notRun: true, msg: `check mode: ${plan.unpredictable}`, durationMs: Date.now() - started };
    }
    target.state.project(plan, taskLabel(task));
    const msg = wouldChange ? `would change: ${summarize(plan)}` : (shown ?? plan.reason);
    return { ...base, status: wouldChange ? "changed" : "ok", changed: wouldChange, msg, durationMs: Date.now() - started };
  }
  try {
    const applied = await applyPlan(plan, conn, target.state, probe, become);
    const last = applied.outputs[applied.outputs.length - 1];
    const values: Vars = { ...base.values, ...applied.plan.result };
    if (last && !isWrite(last.step)) Object.assign(values, commandValues(last));
    // Every step said it found nothing to change (a download equal to the file there): ok.
    const changing = applied.outputs.filter((o) => changesHost(o.step));
    const unchanged = changing.length > 0 && changing.every((o) => !isWrite(o.step) && o.step.unchangedCodes?.includes(o.code));
    const changed = !unchanged && (applied.plan.changes.length > 0 || changing.length > 0 || !!applied.plan.changed);
    const cut =
      last && !isWrite(last.step) && last.cutBytes ? `output cut: ${last.cutBytes} bytes past the first ${MAX_OUTPUT_BYTES >> 20} MiB were dropped` : undefined;
    return {
      status: changed ? "changed" : "ok",
      changed,
      changes: unchanged ? [] : addressed(applied.plan.changes),
      msg: shown ?? cut ?? (changed ? undefined : plan.reason),
      values,
      durationMs: Date.now() - started,
    };
  } catch (e) {
    if (e instanceof StepError) {
      return {
        ...base,
        status: "failed",
        changed: false,
        msg: e.message,
        values: commandValues({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
        durationMs: Date.now() - started,
      };
    }
    throw e;
  }
}

/** Apply `changed_when`/`failed_when` with the result visible under its register name. */
function judge(task: Task, result: TaskResult, vars: Vars): TaskResult {
  if (task.changedWhen === undefined && task.failedWhen === undefined) return result;
  const reg = registeredValue(result);
  const v = scope(vars, data(reg), task.register ? data({ [task.register]: reg }) : undefined);
  let r = result;
  if (task.changedWhen !== undefined && r.status !== "failed" && r.status !== "skipped") {
    const changed = condition(task.changedWhen, v);
    r = { ...r, changed, status: changed ? "changed" : "ok" };
  }
  if (task.failedWhen !== undefined && r.status !== "skipped") {
    const failed = condition(task.failedWhen, v);
    if (failed) r = { ...r, status: "failed", msg: r.msg ?? "failed_when condition is true" };
    else if (r.status === "failed") r = { ...r, status: r.changed ? "changed" : "ok" };
  }
  return r;
}

async function runWithRetries(task: Task, host: HostRun, vars: Vars, env: TaskEnvironment): Promise<TaskResult> {
  const attempts = (task.retries ?? 0) + 1;
  let result: TaskResult | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    result = judge(task, await withFacts(env, () => runOnce(task, host, vars, env)), vars);
    // A check-mode skip or unknown did not run: there is nothing to wait for (as in Ansible).
    if (task.until === undefined || result.status === "skipped" || result.status === "unknown") return result;
    const reg = registeredValue(result);
    const v = scope(vars, data(reg), task.register ? data({ [task.register]: reg }) : undefined);
    if (result.status !== "failed" && condition(task.until, v)) return { ...result, values: { ...result.values, attempts: attempt } };
    if (attempt < attempts) await sleep((task.delay ?? 5) * 1000);
  }
  return { ...result!, status: "failed", msg: `until condition not met after ${attempts} attempts${result!.msg ? `: ${result!.msg}` : ""}` };
}

/**
 * Run `f`; while it stops at facts not gathered yet, gather them and run it
 * again (templates see facts through getters that look again, see gather.ts).
 */
async function withFacts<T>(env: TaskEnvironment, f: () => T | Promise<T>): Promise<T> {
  const gathered = new Set<string>();
  for (;;) {
    try {
      const value = f();
      return value instanceof Promise ? await value : value;
    } catch (e) {
      const pending = unavailableIn(e);
      const key = `${pending?.host}\0${pending instanceof FactsPending ? pending.group : ""}`;
      if (!(pending instanceof FactsPending) || gathered.has(key)) throw pending ?? e;
      gathered.add(key);
      await env.gatherFacts(pending.host, pending.group);
    }
  }
}

/**
 * Check mode: a template that reads what a registered result does not hold
 * because its task would change something or could not be known (`{{
 * request.csr }}` after a request check mode could not make, a command's
 * stdout) cannot render before the run; the task is unknown, not failed.
 */
function unknownFrom(e: unknown, task: Task, host: HostRun, env: TaskEnvironment): TaskResult | undefined {
  if (!env.check || !(e instanceof TemplateError)) return undefined;
  const untrusted = (name: string | undefined) => {
    const parts = name?.split(".") ?? [];
    const [owner, register] = parts[0] === "hostvars" ? [env.hosts.get(parts[1]), parts[2]] : [host, parts[0]];
    const registered = register === undefined ? undefined : (owner?.facts[register] as Vars | undefined);
    return !!registered && untrustedInCheckMode(registered);
  };
  // The variable the error names, or (a loop item, another host's result) a registered result the task's templates read.
  const named = /^'([A-Za-z_][A-Za-z0-9_.]*)' is undefined/.exec(e.message)?.[1];
  const name = untrusted(named) ? named : registeredNameIn(task, env);
  if (!name || !untrusted(name)) return undefined;
  const msg = `cannot know until an earlier change is applied: ${name} comes from a task that has not run`;
  // What this task would do is unknown, so is what it would leave: every later read on the host.
  host.state.overlay.add([unknowable({ everything: true })], taskLabel(task));
  return { status: "unknown", changed: false, msg, changes: [], values: {}, durationMs: 0 };
}

/** A registered result check mode did not really produce: its task would change, or was unknown (a command it skipped too). */
function untrustedInCheckMode(v: Vars): boolean {
  return !!(v.unknown || v.changed);
}

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

function failure(e: unknown, started: number): TaskResult {
  if (e instanceof UnknowableRead) {
    return {
      status: "unknown",
      changed: false,
      msg: `cannot know until an earlier change is applied: ${e.message}`,
      changes: [],
      values: {},
      durationMs: Date.now() - started,
    };
  }
  const unavailable = unavailableIn(e);
  if (unavailable instanceof FactsUnknown) {
    const msg = `cannot know until an earlier change is applied: ${unavailable.message}`;
    return { status: "unknown", changed: false, msg, changes: [], values: {}, durationMs: Date.now() - started };
  }
  const unreachable = e instanceof UnreachableError;
  return { status: unreachable ? "unreachable" : "failed", changed: false, msg: errorMessage(e), changes: [], values: {}, durationMs: Date.now() - started };
}

/** The `when` conditions a task runs under: its blocks', then its own. */
const conditionsOf = (task: Task, env: TaskEnvironment): unknown[] => [...env.inheritedWhen, ...(task.when === undefined ? [] : [task.when])];

/** The variables of one loop item. */
const itemVars = (task: Task, host: HostRun, env: TaskEnvironment, item: unknown): Vars => env.vars(host, task.vars, { [task.loopVar]: item });

/** A loop's items, rendered once: a list written in the playbook has its templates rendered, what a host answered is not. */
function loopItems(task: Task, vars: Vars): unknown {
  return renderDeep(task.loop, vars);
}

/** Plan a task once for each set of variables, all at once, only to fill the read cache: plans and errors are dropped. */
async function planAll(task: Task, host: HostRun, varsList: Vars[], env: TaskEnvironment, ahead: boolean): Promise<void> {
  if (!env.module) return;
  const conditions = conditionsOf(task, env);
  await Promise.allSettled(
    varsList.map(async (vars) => {
      if (condition(conditions, vars)) await planOnce(task, host, vars, env, ahead);
    }),
  );
}

/**
 * Plan the play's tasks on `host` all at once before the first runs, so that
 * what they read reaches the host in as few round trips as possible (stats as
 * one batch, other reads pipelined together). The plans are thrown away: each
 * task still plans in its turn, from the cache, and afresh after anything was
 * applied. A task whose `when` or `loop` reads what an earlier task registers
 * cannot be planned yet and is left out.
 *
 * @example
 * await prefetch(play.tasks.map((t) => [t, environmentOf(t)]), host);
 */
export async function prefetch(tasks: [Task, TaskEnvironment][], host: HostRun): Promise<void> {
  const generation = host.state.generation;
  const prefetched = new WeakSet<object>();
  await Promise.allSettled(
    tasks.map(async ([task, env]) => {
      const vars = env.vars(host, task.vars);
      const items = task.loop === undefined ? undefined : loopItems(task, vars);
      const varsList = items === undefined ? [vars] : Array.isArray(items) ? items.map((item) => itemVars(task, host, env, item)) : [];
      await planAll(task, host, varsList, env, true);
      prefetched.add(task);
    }),
  );
  if (host.state.generation === generation) host.state.prefetched = { generation, tasks: prefetched };
}

const skippedResult = (): TaskResult => ({ status: "skipped", changed: false, changes: [], msg: "conditional result was false", values: {}, durationMs: 0 });

/**
 * Where a dynamic include (`include_tasks`, `include_role`) goes on one host:
 * the loop variables of each pass through its tasks (one pass, without a
 * loop), or the result to report instead — skipped when its `when` holds for
 * no pass, failed when a condition or the loop does not render.
 *
 * @example
 * const passes = await includePasses(task, host, env); // { passes: [{ item: "a" }, { item: "b" }] }
 */
export async function includePasses(task: Task, host: HostRun, env: TaskEnvironment): Promise<{ passes: Vars[] } | { result: TaskResult }> {
  const started = Date.now();
  try {
    const vars = env.vars(host, task.vars);
    const conditions = conditionsOf(task, env);
    if (task.loop === undefined) return (await withFacts(env, () => condition(conditions, vars))) ? { passes: [{}] } : { result: skippedResult() };
    const items = await withFacts(env, () => loopItems(task, vars));
    if (!Array.isArray(items)) throw new Error(`loop needs a list, got ${JSON.stringify(items)}`);
    const passes: Vars[] = [];
    for (const item of items) {
      if (await withFacts(env, () => condition(conditions, itemVars(task, host, env, item)))) passes.push({ [task.loopVar]: item });
    }
    return passes.length ? { passes } : { result: skippedResult() };
  } catch (e) {
    return { result: failure(e, started) };
  }
}

/**
 * Run a module task on one host (loop, when, register, notify included).
 *
 * @example
 * const result = await runTask(task, host, env);
 */
export async function runTask(task: Task, host: HostRun, env: TaskEnvironment): Promise<TaskResult> {
  const started = Date.now();
  let result: TaskResult;
  try {
    const vars = env.vars(host, task.vars);
    const conditions = conditionsOf(task, env);
    if (task.loop === undefined) {
      result = (await withFacts(env, () => condition(conditions, vars)))
        ? await runWithRetries(task, host, vars, env)
        : { status: "skipped", changed: false, changes: [], msg: "conditional result was false", values: {}, durationMs: 0 };
    } else {
      const items = await withFacts(env, () => loopItems(task, vars));
      if (!Array.isArray(items)) throw new Error(`loop needs a list, got ${JSON.stringify(items)}`);
      // Unless the play's prefetch still holds (nothing applied since), the items are planned
      // together first, only so that their reads reach the host as one batch; they then run one
      // after another exactly as before, and an item after one that changed the host reads afresh.
      const { prefetched } = host.state;
      const cached = prefetched.generation === host.state.generation && prefetched.tasks.has(task);
      if (items.length > 1 && !cached)
        await planAll(
          task,
          host,
          items.map((item) => itemVars(task, host, env, item)),
          env,
          false,
        );
      const results: TaskResult[] = [];
      for (const item of items) {
        const vars = itemVars(task, host, env, item);
        const label = task.loopLabel ? renderText(task.loopLabel, vars) : typeof item === "string" ? item : JSON.stringify(item);
        let r: TaskResult;
        try {
          r = (await withFacts(env, () => condition(conditions, vars)))
            ? await runWithRetries(task, host, vars, env)
            : { status: "skipped", changed: false, changes: [], msg: "conditional result was false", values: {}, durationMs: 0 };
        } catch (e) {
          r = unknownFrom(e, task, host, env) ?? failure(e, started);
        }
        results.push({ ...r, item, label });
        if (r.status === "unreachable") break;
      }
      const failedItem = results.find((r) => r.status === "failed" || r.status === "unreachable");
      const changed = results.some((r) => r.changed);
      const unknownItem = results.some((r) => r.status === "unknown");
      result = {
        status: failedItem
          ? failedItem.status
          : results.length && results.every((r) => r.status === "skipped")
            ? "skipped"
            : unknownItem
              ? "unknown"
              : changed
                ? "changed"
                : "ok",
        changed,
        changes: results.flatMap((r) => r.changes),
        msg: failedItem ? `item ${failedItem.label}: ${failedItem.msg}` : undefined,
        results,
        values: {},
        durationMs: 0,
      };
    }
  } catch (e) {
    result = unknownFrom(e, task, host, env) ?? failure(e, started);
  }
  result.durationMs = Date.now() - started;
  if (result.status === "failed" && task.ignoreErrors) result.ignored = true;
  if (task.register) host.facts[task.register] = registeredValue(result);
  if (result.changed && result.status !== "failed") {
    const vars = env.vars(host, task.vars);
    for (const n of task.notify) host.notified.add(String(render(n, vars)));
  }
  return result;
}
