/**
 * The package's face (`import … from "@hoist-iac/hoist"`): the run API the
 * CLI is a client of, the results it returns, and the module contract for
 * modules of one's own. It defines nothing; each part lives in a file of
 * its own.
 *
 * @example
 * ```ts
 * import { createRun } from "./index.ts";
 * const outcome = await createRun({ playbook: "playbooks/hello.yaml", check: true });
 * for (const [host, s] of outcome.stats) console.log(host, s.changed, s.unknown);
 * ```
 */
export { createRun, type RunRequest, type RunOutcome, type ReportedResult } from "./run/run.ts";
export type { TaskResult, Status } from "./outcome/result.ts";
export type { UnknownReason } from "./outcome/unknown.ts";
export type { HostStats } from "./outcome/stats.ts";
export type { Reporter } from "./outcome/reporter.ts";
export { InputError } from "./errors.ts";
export * from "./module.ts";
