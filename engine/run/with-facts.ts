/**
 * Facts gathered when a template first reads them: run a render, and while
 * it stops at facts not gathered yet, gather them and run it again
 * (templates see facts through getters that look again, see gather.ts).
 *
 * @example
 * const ok = await withFacts(env, () => condition(task.when, vars));
 */
import { FactsPending, unavailableIn } from "../template/unavailable.ts";
import type { TaskEnvironment } from "./host-run.ts";

/**
 * Run `f`, gathering what it stops at (each group once).
 *
 * @example
 * const items = await withFacts(env, () => renderDeep(task.loop, vars));
 */
export async function withFacts<T>(env: Pick<TaskEnvironment, "gatherFacts">, f: () => T | Promise<T>): Promise<T> {
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
