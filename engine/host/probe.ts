/**
 * The read-only view of a host that modules plan against. Reads are memoised
 * per host; after a step is applied, those it may have changed are forgotten
 * (`staleAfter` in read.ts decides). In check mode, nothing is applied: each
 * planned step makes the same reads unknown, and the plans' projections say
 * what some of them become, so later plans see the state the run would have
 * produced (a file written by an earlier task, a unit it would start) or
 * learn that they cannot know it.
 */
import type { Connection, Become } from "../connection/types.ts";
import type { Plan, Probe, Stat } from "../module.ts";
import { isWrite } from "../module.ts";
import { commandLine } from "../shell.ts";
import { factKey, type Fact, type RememberedFact } from "../fact.ts";
import { keep, recall } from "./remembered.ts";
import { Overlay, readLabel, UnknowableRead } from "./overlay.ts";
import { staleAfter, touchedBy, type Read, type Touched } from "./read.ts";
import { projectFile, projectStat, type Projection } from "../projection.ts";
import { readRemoteFile, statPaths } from "./remote.ts";
import { setImmediate } from "node:timers";

interface StatBatch {
  paths: Set<string>;
  result: Promise<Map<string, Stat | null>>;
}

/** What hoist knows of one host during a run. */
export class HostState {
  readonly cache = new Map<string, Promise<unknown>>();
  /** What each memoised fact read is (by cache key), for `forget` to ask `staleAfter`. */
  readonly reads = new Map<string, Read>();
  /** Cache keys of stats that found nothing: a touched path may create those (`mkdir -p`). */
  readonly absent = new Set<string>();
  /** Check mode: what the plans planned so far would have made of the host. */
  readonly overlay = new Overlay();
  /** Stats asked for in this turn of the event loop, per become user: they go out as one command. */
  readonly statBatches = new Map<string, StatBatch>();
  /** Bumped by `forget`, so that an answer read before an apply is not memoised after it. */
  generation = 0;
  /** Tasks whose reads were prefetched, and in which generation: while it holds, their reads are cached. */
  prefetched = { generation: -1, tasks: new WeakSet<object>() };

  /**
   * Forget the memoised reads a step applied to the host may have changed
   * (`staleAfter`: reads under the paths it touched, missing parents it may
   * have created, facts made of those paths or of anything); after a step
   * that does not say what it touches, all of them.
   *
   * @example
   * state.forget(["/etc/motd"]); // a stat of /etc/hosts stays memoised
   */
  forget(touched: Touched = "anything"): void {
    this.generation++;
    for (const key of [...this.cache.keys()]) {
      const path = /\0(?:stat|file):(.*)$/s.exec(key)?.[1];
      const read = path === undefined ? this.reads.get(key) : { key, path };
      if (!read || staleAfter(read, touched, this.absent.has(key))) {
        this.cache.delete(key);
        this.absent.delete(key);
        this.reads.delete(key);
      }
    }
  }

  /**
   * Record what a plan would have done, for plans that come after it in
   * check mode: its writes as exact files and stats, then its own projections.
   *
   * @example
   * state.project(plan, "file /etc/motd (site.yaml:4)");
   */
  project(plan: Plan, by: string, doubtful = false): void {
    // The one rule: each step makes unknown what the real run would forget after it (read.ts), but the
    // facts whose every read the plan's own projections say (a transform), which come after it, and the
    // reads of a fact the plan says its steps leave alone (spare).
    const except = (plan.projects ?? []).flatMap((p) => (p.kind === "transform" ? [p.fact] : []));
    const spare = (plan.projects ?? []).flatMap((p) => (p.kind === "spare" ? [p] : []));
    const steps = plan.steps.flatMap((step): Projection[] => {
      const footprint: Projection = { kind: "unknown", touched: touchedBy(step), except, spare };
      if (!isWrite(step)) return [footprint];
      const content = step.base64 ? Buffer.from(step.content, "base64").toString("utf8") : step.content;
      const stat: Stat = {
        type: "file",
        mode: step.mode ?? "0644",
        owner: step.owner ?? "root",
        group: step.group ?? "root",
        size: Buffer.byteLength(content),
      };
      return [footprint, projectFile(step.write, content), projectStat(step.write, stat)];
    });
    const all = [...steps, ...(plan.projects ?? [])];
    this.overlay.add(doubtful ? Overlay.doubtful(all) : all, by);
  }
}

/**
 * How a probe reads: in check mode or not, as whom, ahead of its task's turn, and whom to tell of
 * unknowable reads.
 */
export interface ProbeOptions {
  check: boolean;
  become?: Become;
  /** Planning ahead of the task's turn (prefetch): facts that say `prefetch: false` are not read. */
  ahead?: boolean;
  /** Check mode: told of every read whose answer an earlier planned change makes unknowable. */
  onUnknown?: (read: string, because: string) => void;
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
  const memo = <T>(key: string, read: () => Promise<T>, what?: Read): Promise<T> => {
    const k = `${becomeKey}\0${key}`;
    let p = state.cache.get(k) as Promise<T> | undefined;
    if (!p) {
      p = read();
      state.cache.set(k, p);
      if (what) state.reads.set(k, what);
      p.catch(() => {
        state.cache.delete(k);
        state.reads.delete(k);
      });
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
  /** In check mode, the overlay decides (and says when an earlier planned change makes the answer unknowable). */
  const through = <T>(read: Read, host: () => Promise<T>): Promise<T> => {
    if (!options.check || state.overlay.empty) return host();
    return state.overlay.resolve(read, host).then(
      ({ value, unknownBecause }) => {
        if (unknownBecause !== undefined) options.onUnknown?.(readLabel(read), unknownBecause);
        return value;
      },
      (e: unknown) => {
        // Failed as the host is now, but an earlier planned change decides it: told like any unknowable read,
        // so the task is unknown even when its module turns the error into a failure of its own.
        if (e instanceof UnknowableRead) options.onUnknown?.(e.read, e.because);
        throw e;
      },
    );
  };

  const probe: Probe = {
    host: conn.host,
    check: options.check,
    fact<A, V>(fact: Fact<A, V>, args: A): Promise<V> {
      if (options.ahead && fact.prefetch === false) return Promise.reject(new NotAhead(fact.name));
      const key = `fact:${factKey(fact, args)}`;
      const read = () =>
        conn.exec(commandLine(fact.command(args)), { become: options.become, stdin: fact.stdin?.(args) }).then((r) => {
          // A fact parsed from half its output would be a confident wrong answer.
          if (r.cutBytes) throw new Error(`${fact.name}: the host printed more than hoist keeps (${r.cutBytes} bytes dropped)`);
          return fact.parse(r, args);
        });
      // The paths the command line names matter only to the check-mode overlay: worked out when it asks.
      const named = () => fact.command(args).filter((w) => w.startsWith("/"));
      const files = fact.files ? () => fact.files!(args) : undefined;
      const what: Read = { key, fact, args, named, files };
      return through(what, () => (fact.fresh ? read() : memo(key, read, what)));
    },
    async remembered<A, V>(fact: RememberedFact<A, V>, args: A): Promise<V | null> {
      const key = factKey(fact, args);
      const kept = recall(conn.host, key);
      const read = await probe.fact(fact, { ...args, since: kept?.identity ?? "" });
      if (read.unchanged && kept) return kept.value as V;
      if (read.identity !== null && read.value !== null) keep(conn.host, key, read.identity, read.value);
      return read.value;
    },
    readFile(path) {
      return through({ key: `file:${path}`, path }, () => memo(`file:${path}`, () => readRemoteFile(conn, path, options.become)));
    },
    async stat(path) {
      return (await probe.statMany([path])).get(path) ?? null;
    },
    async statMany(paths) {
      // Every path not known yet joins the same batch, before anything is awaited.
      const answers = paths.map((path) =>
        through({ key: `stat:${path}`, path }, () =>
          memo(`stat:${path}`, () =>
            batchedStat(path).then((stat) => {
              if (!stat) state.absent.add(`${becomeKey}\0stat:${path}`);
              return stat;
            }),
          ),
        ),
      );
      const values = await Promise.all(answers);
      return new Map(paths.map((path, i) => [path, values[i]]));
    },
  };
  return probe;
}
