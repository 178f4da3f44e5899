/**
 * What a run tells as it goes: the interface every reporter (text, JSON,
 * the run API's collector, drift) implements. Results reach it redacted.
 *
 * @example
 * ```ts
 * import type { Reporter } from "./reporter.ts";
 * const seen: string[] = [];
 * const reporter: Reporter = { play: (play) => seen.push(play.name), result: (task, host, r) => seen.push(`${host} ${task.name} ${r.status}`) };
 * reporter.play({ name: "site" } as never, ["node1"]);
 * if (seen[0] !== "site") throw new Error("example");
 * ```
 */
import type { Play, Task } from "../load/playbook.ts";
import type { TaskResult } from "./result.ts";

/**
 * Told of each play and of each result, redacted, as they happen.
 *
 * @example
 * ```ts
 * import type { Reporter } from "./reporter.ts";
 * const quiet: Reporter = { play() {}, result() {} };
 * quiet.result({} as never, "node1", { status: "ok", changed: false, changes: [], values: {}, durationMs: 0 }, "task");
 * ```
 */
export interface Reporter {
  play(play: Play, hosts: string[]): void;
  /** `identity`: the result's stable name (see the run API's results), when the run API reports. */
  result(task: Task, host: string, result: TaskResult, kind: "task" | "handler", identity?: string): void;
}
