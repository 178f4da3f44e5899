/**
 * What `register:` keeps of a result, as Ansible shapes it: the module's
 * values, `changed`, `failed`, `skipped`, `msg`, the diff, `stdout_lines`,
 * one entry per loop item in `results`, and, in check mode, `unknown` for
 * what was never really made.
 *
 * @example
 * ```ts
 * import { registeredValue } from "./registered.ts";
 * const v = registeredValue({ status: "ok", changed: false, changes: [], values: { stdout: "a\nb" }, durationMs: 0 });
 * if ((v.stdout_lines as string[]).length !== 2) throw new Error("example");
 * ```
 */
import type { TaskResult } from "../outcome/result.ts";
import type { Vars } from "../vars.ts";

const lines = (text: string) => text.split("\n").filter((l, i, a) => i < a.length - 1 || l !== "");

/**
 * The registered value of a result.
 *
 * @example
 * ```ts
 * import { registeredValue } from "./registered.ts";
 * if (registeredValue({ status: "unknown", changed: false, changes: [], values: {}, durationMs: 0 }).unknown !== true) throw new Error("example");
 * ```
 */
export function registeredValue(r: TaskResult): Vars {
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
  if (typeof v.stdout === "string") v.stdout_lines = lines(v.stdout);
  if (typeof v.stderr === "string") v.stderr_lines = lines(v.stderr);
  return v;
}
