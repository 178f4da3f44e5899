/**
 * The recap's counters per host, as Ansible counts them (`ok` includes
 * changed), plus `unknown` for check-mode results that cannot be known.
 */
import type { TaskResult } from "./result.ts";

/**
 * The recap counters of one host.
 */
export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
  /** Check mode: tasks that cannot know until an earlier change is applied. */
  unknown: number;
}

/**
 * Counters at zero.
 *
 * @example
 * newStats().ok // 0
 */
export function newStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0, unknown: 0 };
}

/**
 * Count one result.
 *
 * @example
 * countResult(stats.get("node1")!, result);
 */
export function countResult(s: HostStats, r: TaskResult): void {
  if (r.status === "unreachable") s.unreachable++;
  else if (r.status === "failed") r.ignored ? s.ignored++ : s.failed++;
  else if (r.status === "skipped") s.skipped++;
  else if (r.status === "unknown") s.unknown++;
  else {
    s.ok++;
    if (r.changed) s.changed++;
  }
}
