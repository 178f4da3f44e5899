/**
 * A real run's half of a task: the plan's steps executed in order on the
 * host, each forgetting what it may have changed (read.ts), and what a
 * command leaves for `register`.
 *
 * @example
 * ```ts
 * import { commandValues } from "./apply.ts";
 * if (commandValues({ code: 0, stdout: "hi\n\n", stderr: "" }).stdout !== "hi") throw new Error("example");
 * ```
 */
import type { Plan, Probe, StepOutput } from "../module.ts";
import { isWrite } from "../module.ts";
import type { Connection, Become } from "../connection/types.ts";
import type { HostState } from "../host/probe.ts";
import { touchedBy } from "../host/read.ts";
import { atomicWrite } from "../host/remote.ts";
import { commandLine } from "../shell.ts";
import { commandFailure } from "../errors.ts";
import type { Vars } from "../vars.ts";

/**
 * What a command leaves in its registered result, as Ansible's command module does: the output without its trailing newlines.
 *
 * @example
 * ```ts
 * import { commandValues } from "./apply.ts";
 * if (commandValues({ code: 2, stdout: "", stderr: "no\n" }).stderr !== "no") throw new Error("example");
 * ```
 */
export function commandValues(out: { code: number; stdout: string; stderr: string; cutBytes?: number }): Vars {
  return {
    rc: out.code,
    stdout: out.stdout.replace(/[\r\n]+$/, ""),
    stderr: out.stderr.replace(/[\r\n]+$/, ""),
    // Said, never silent: what was kept is the output's head.
    ...(out.cutBytes ? { output_cut_bytes: out.cutBytes } : {}),
  };
}

const describeStep = (step: Plan["steps"][number]): string => step.describe ?? (isWrite(step) ? `write ${step.write}` : commandLine(step.run));

/**
 * A step that failed: its command, exit code and output.
 *
 * @example
 * ```ts
 * import { StepError } from "./apply.ts";
 * if (new StepError("false: exit 1", 1, "", "").code !== 1) throw new Error("example");
 * ```
 */
export class StepError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/**
 * Execute a plan's steps in order, then what its `next` plans from their
 * output; throws a `StepError` with command, exit code and stderr on failure.
 *
 * @example
 * const { plan: done, outputs } = await applyPlan(plan, conn, host.state, probe);
 */
export async function applyPlan(
  plan: Plan,
  conn: Connection,
  state: HostState,
  probe: Probe,
  become?: Become,
  environment?: Record<string, string>,
): Promise<{ plan: Plan; outputs: StepOutput[] }> {
  // `environment:` reaches the commands through env(1); `--` ends its options and the names were checked.
  const withEnvironment = (argv: string[]) =>
    environment && Object.keys(environment).length ? ["env", "--", ...Object.entries(environment).map(([k, v]) => `${k}=${v}`), ...argv] : argv;
  const outputs: StepOutput[] = [];
  let current = plan;
  for (;;) {
    const batch: StepOutput[] = [];
    for (const step of current.steps) {
      const r = isWrite(step) ? await atomicWrite(conn, step, become) : await conn.exec(commandLine(withEnvironment(step.run)), { stdin: step.stdin, become });
      state.forget(touchedBy(step));
      const ok = isWrite(step) ? r.code === 0 : (step.okCodes ?? [0]).includes(r.code);
      batch.push({ ...r, step });
      if (!ok) throw new StepError(commandFailure(describeStep(step), r), r.code, r.stdout, r.stderr);
    }
    outputs.push(...batch);
    if (!current.next) break;
    const following = await current.next(batch, probe);
    if (following.fail) throw new Error(following.fail);
    current = { ...following, changes: [...current.changes, ...following.changes] };
  }
  return { plan: current, outputs };
}
