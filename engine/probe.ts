/**
 * The read-only view of a host that modules plan against. Reads are memoised
 * per host and forgotten whenever anything is applied to that host. In check
 * mode, earlier plans are projected into an overlay so later plans see the
 * state the run would have produced (a file written by an earlier task, a
 * package an earlier task would install).
 */
import type { Connection, Become } from "./connection/types.ts";
import type { Plan, Probe, RunResult, Stat } from "./module.ts";
import { isWrite } from "./module.ts";
import { commandLine } from "./shell.ts";
import { factKey } from "./fact.ts";
import { readRemoteFile, statPaths } from "./remote.ts";
import { setImmediate } from "node:timers";

interface StatBatch {
  paths: Set<string>;
  result: Promise<Map<string, Stat | null>>;
}

/** What hoist knows of one host during a run. */
export class HostState {
  readonly cache = new Map<string, Promise<unknown>>();
  /** Cache keys of stats that found nothing: a touched path may create those (`mkdir -p`). */
  readonly absent = new Set<string>();
  /** Check mode: projected facts (`stat:/p`, `file:/p`, and module-declared keys). */
  readonly overlay = new Map<string, unknown>();
  readonly pendingNotes: string[] = [];
  /** Stats asked for in this turn of the event loop, per become user: they go out as one command. */
  readonly statBatches = new Map<string, StatBatch>();
  /** Bumped by `forget`, so that an answer read before an apply is not memoised after it. */
  generation = 0;
  /** Tasks whose reads were prefetched, and in which generation: while it holds, their reads are cached. */
  prefetched = { generation: -1, tasks: new WeakSet<object>() };

  /**
   * Forget memoised reads after something was applied to the host: those of
   * the `touched` paths and of what is under them, the missing parents they
   * may have created, and every command's output; without `touched`, all.
   *
   * @example
   * state.forget(["/etc/motd"]); // a stat of /etc/hosts stays memoised
   */
  forget(touched?: string[]): void {
    this.generation++;
    if (!touched) {
      this.cache.clear();
      this.absent.clear();
      return;
    }
    const trim = (p: string) => p.replace(/(?<=.)\/+$/, "");
    const paths = touched.map(trim);
    const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer === "/" ? "/" : `${outer}/`);
    for (const key of [...this.cache.keys()]) {
      const read = /\0(?:stat|file):(.*)$/s.exec(key);
      const path = read && trim(read[1]);
      const stale = !path || paths.some((t) => within(path, t) || (this.absent.has(key) && within(t, path)));
      if (stale) {
        this.cache.delete(key);
        this.absent.delete(key);
      }
    }
  }

  /**
   * Record what a plan would have done, for plans that come after it in check mode.
   *
   * @example
   * state.project(plan, "file: /etc/motd");
   */
  project(plan: Plan, summary: string): void {
    for (const step of plan.steps) {
      if (!isWrite(step)) continue;
      this.overlay.set(`file:${step.write}`, step.base64 ? Buffer.from(step.content, "base64").toString("utf8") : step.content);
      const previous = this.overlay.get(`stat:${step.write}`) as Stat | null | undefined;
      this.overlay.set(`stat:${step.write}`, {
        type: "file",
        mode: step.mode ?? previous?.mode ?? "0644",
        owner: step.owner ?? previous?.owner ?? "root",
        group: step.group ?? previous?.group ?? "root",
        size: Buffer.byteLength(step.content),
      } satisfies Stat);
    }
    for (const [k, v] of Object.entries(plan.assume ?? {})) this.overlay.set(k, v);
    if (plan.changes.length || plan.steps.length) this.pendingNotes.push(summary);
  }
}

export interface ProbeOptions {
  check: boolean;
  become?: Become;
  /** Planning ahead of the task's turn (prefetch): facts that say `prefetch: false` are not read. */
  ahead?: boolean;
}

/** Thrown by a fact read ahead of its task when the fact may only be read in its turn. */
export class NotAhead extends Error {
  constructor(fact: string) {
    super(`${fact} is read only in its task's turn`);
  }
}

/**
 * A probe over `conn` sharing `state`'s memo and overlay.
 *
 * @example
 * const probe = createProbe(conn, state, { check: true });
 * await probe.stat("/etc/hosts");
 */
export function createProbe(conn: Connection, state: HostState, options: ProbeOptions): Probe {
  const becomeKey = options.become ? `${options.become.user}` : "";
  const memo = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    const k = `${becomeKey}\0${key}`;
    let p = state.cache.get(k) as Promise<T> | undefined;
    if (!p) {
      p = read();
      state.cache.set(k, p);
      p.catch(() => state.cache.delete(k));
    }
    return p;
  };
  /**
   * Stats asked for by plans planned together (a play's tasks, a loop's items) reach
   * the host as one command: the first request waits one event-loop turn for
   * the others. Small files' contents come back with it and are memoised,
   * unless something was applied to the host meanwhile.
   */
  const batchedStat = async (path: string): Promise<Stat | null> => {
    let batch = state.statBatches.get(becomeKey);
    if (!batch) {
      const generation = state.generation;
      const batchPaths = new Set<string>();
      const result = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        state.statBatches.delete(becomeKey);
        const contents = new Map<string, string>();
        const stats = await statPaths(conn, [...batchPaths], options.become, contents);
        if (state.generation === generation) for (const [path, text] of contents) memo(`file:${path}`, async () => text);
        return stats;
      });
      batch = { paths: batchPaths, result };
      state.statBatches.set(becomeKey, batch);
    }
    batch.paths.add(path);
    return (await batch.result).get(path) ?? null;
  };
  const projected = (key: string): { hit: boolean; value?: unknown } =>
    options.check && state.overlay.has(key) ? { hit: true, value: state.overlay.get(key) } : { hit: false };

  const probe: Probe = {
    host: conn.host,
    check: options.check,
    fact(fact, args) {
      if (options.ahead && fact.prefetch === false) return Promise.reject(new NotAhead(fact.name));
      const read = () => conn.exec(commandLine(fact.command(args)), { become: options.become }).then((r) => fact.parse(r, args));
      return fact.fresh ? read() : memo(`fact:${factKey(fact, args)}`, read);
    },
    async readFile(path) {
      const p = projected(`file:${path}`);
      if (p.hit) return p.value as string | null;
      return memo(`file:${path}`, () => readRemoteFile(conn, path, options.become));
    },
    async stat(path) {
      return (await probe.statMany([path])).get(path) ?? null;
    },
    async statMany(paths) {
      // Every path not known yet joins the same batch, before anything is awaited.
      const answers = paths.map((path) => {
        const p = projected(`stat:${path}`);
        return p.hit ? (p.value as Stat | null) : memo(`stat:${path}`, () => batchedStat(path).then((stat) => {
          if (!stat) state.absent.add(`${becomeKey}\0stat:${path}`);
          return stat;
        }));
      });
      const values = await Promise.all(answers);
      return new Map(paths.map((path, i) => [path, values[i]]));
    },
    assumed(key) {
      return options.check ? state.overlay.get(key) : undefined;
    },
    pending() {
      return options.check ? [...state.pendingNotes] : [];
    },
  };
  return probe;
}
