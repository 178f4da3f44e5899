/**
 * A task's result on one host, as data: what run, report and drift all
 * read. Results are made by the constructors here, so that a status and the
 * fields that go with it (an unknown's reason, a skip's message) never part.
 *
 * @example
 * ```ts
 * import { skipped, unknownResult } from "./result.ts";
 * const r = unknownResult({ kind: "read", read: "stat:/srv/b", by: "'maker' (site.yaml:5)" });
 * if (r.status !== "unknown" || r.unknown?.kind !== "read" || skipped().status !== "skipped") throw new Error("example");
 * ```
 */
import type { Change } from "../module.ts";
import { describeUnknown, type UnknownReason } from "./unknown.ts";

/**
 * How a task ended on a host; `unknown`: check mode cannot know until an earlier change is applied (never in a real run).
 *
 * @example
 * ```ts
 * import type { Status } from "./result.ts";
 * const s: Status = "changed";
 * if (s !== "changed") throw new Error("example");
 * ```
 */
export type Status = "ok" | "changed" | "skipped" | "failed" | "unreachable" | "unknown";

/**
 * One task's result on one host (a loop's has one per item in `results`).
 *
 * @example
 * ```ts
 * import type { TaskResult } from "./result.ts";
 * const r: TaskResult = { status: "ok", changed: false, changes: [], values: { rc: 0 }, durationMs: 3 };
 * if (r.values.rc !== 0) throw new Error("example");
 * ```
 */
export interface TaskResult {
  status: Status;
  changed: boolean;
  /** What people read: made from the data, never read back by a decision. */
  msg?: string;
  changes: Change[];
  /** Status `unknown`: why, as data. */
  unknown?: UnknownReason;
  /** Check mode did not run it (a command): what it would have returned is not known. */
  notRun?: boolean;
  /** Failure was ignored (`ignore_errors`). */
  ignored?: boolean;
  item?: unknown;
  label?: string;
  results?: TaskResult[];
  /** Module-specific values (rc, stdout, …) that `register` exposes. */
  values: Record<string, unknown>;
  durationMs: number;
}

/**
 * A task whose conditions did not hold (or a check-mode skip, with its message).
 *
 * @example
 * ```ts
 * import { skipped } from "./result.ts";
 * if (skipped().msg !== "conditional result was false") throw new Error("example");
 * ```
 */
export function skipped(msg = "conditional result was false"): TaskResult {
  return { status: "skipped", changed: false, changes: [], msg, values: {}, durationMs: 0 };
}

/**
 * A failed (or unreachable) task, with what it left for `register`.
 *
 * @example
 * ```ts
 * import { failed } from "./result.ts";
 * if (failed("no such unit").status !== "failed") throw new Error("example");
 * ```
 */
export function failed(msg: string, values: Record<string, unknown> = {}, status: "failed" | "unreachable" = "failed"): TaskResult {
  return { status, changed: false, changes: [], msg, values, durationMs: 0 };
}

/**
 * A task check mode cannot know, with its reason; `changes` and `values`
 * are what its plan said anyway (a module's own result values).
 *
 * @example
 * ```ts
 * import { unknownResult } from "./result.ts";
 * const r = unknownResult({ kind: "module", why: "a download" });
 * if (r.msg !== "cannot know before the run: a download") throw new Error("example");
 * ```
 */
export function unknownResult(reason: UnknownReason, known: { changes?: Change[]; values?: Record<string, unknown> } = {}): TaskResult {
  return {
    status: "unknown",
    changed: false,
    changes: known.changes ?? [],
    msg: describeUnknown(reason),
    unknown: reason,
    values: known.values ?? {},
    durationMs: 0,
  };
}
