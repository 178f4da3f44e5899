/**
 * The play's graph of task nodes, one per task and host: by default a task
 * waits for the one before it on its host; `needs: [id]` names what it waits
 * for instead, and `id@pattern` waits on other hosts. Checked for cycles
 * before any host is touched.
 */
import type { Play, Task } from "../load/playbook.ts";
import { parseNeed, topLevelOf, walkTasks } from "../load/playbook.ts";
import { matchHosts } from "../load/patterns.ts";
import { InputError } from "../errors.ts";
import { findCycle } from "../graph/graph.ts";
import type { HostSource } from "./context.ts";

/**
 * Waits between tasks across hosts (`needs:`): a task runs on a host once what it needs is done
 * where it needs it.
 */
export class Needs {
  /** Nodes done in earlier batches: `task@host` → outcome. */
  readonly done = new Map<string, "ok" | "failed">();

  constructor(
    private readonly play: Play,
    private readonly inventory: HostSource,
  ) {}

  /** Node dependencies of task `i` on `host`: [taskIndex, host] pairs. */
  dependencies(i: number, host: string, batch: string[]): [number, string][] {
    const task = this.play.tasks[i];
    if (!task.needs) return i > 0 ? [[i - 1, host]] : [];
    const index = new Map<Task, number>(this.play.tasks.map((t, j) => [t, j]));
    const byId = new Map<string, Task>();
    for (const t of walkTasks(this.play.tasks)) if (t.id) byId.set(t.id, t);
    return task.needs.flatMap((need) => {
      const { id, pattern } = parseNeed(need);
      const j = index.get(topLevelOf(this.play, byId.get(id)!))!;
      if (!pattern) return [[j, host]] as [number, string][];
      let targets: string[];
      try {
        targets = matchHosts(pattern, this.inventory.groups, this.inventory.hosts);
      } catch (e) {
        throw e instanceof InputError ? new InputError(`needs '${need}': ${e.message}`, task.where) : e;
      }
      if (targets.length === 0) throw new InputError(`needs '${need}': pattern matches no host`, task.where);
      return targets.flatMap((t): [number, string][] => {
        if (batch.includes(t)) return [[j, t]];
        if (this.done.has(`${j}@${t}`)) return [];
        throw new InputError(`needs '${need}': host '${t}' does not run this play in this batch or an earlier one`, task.where);
      });
    });
  }

  /** Cross-host needs resolve and form no cycle in this batch; throws InputError naming the cycle. */
  checkCycles(batch: string[]): void {
    const nodes = batch.flatMap((h) => this.play.tasks.map((_, i): [number, string] => [i, h]));
    const cycle = findCycle(
      nodes,
      ([i, h]) => this.dependencies(i, h, batch),
      ([i, h]) => `${i}@${h}`,
    );
    if (cycle) {
      const label = ([i, h]: [number, string]) => `${this.play.tasks[i].id ?? this.play.tasks[i].name}@${h}`;
      throw new InputError(`task dependencies form a cycle: ${cycle.map(label).join(" -> ")}`, this.play.tasks[cycle[0][0]].where);
    }
  }
}
