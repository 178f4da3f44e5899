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
import { readRemoteFile, statPaths } from "./remote.ts";

/** What hoist knows of one host during a run. */
export class HostState {
  readonly cache = new Map<string, Promise<unknown>>();
  /** Check mode: projected facts (`stat:/p`, `file:/p`, and module-declared keys). */
  readonly overlay = new Map<string, unknown>();
  readonly pendingNotes: string[] = [];

  /** Forget every memoised read: called after anything is applied to the host. */
  forget(): void {
    this.cache.clear();
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
  const projected = (key: string): { hit: boolean; value?: unknown } =>
    options.check && state.overlay.has(key) ? { hit: true, value: state.overlay.get(key) } : { hit: false };

  const probe: Probe = {
    host: conn.host,
    check: options.check,
    run(argv, runOptions = {}): Promise<RunResult> {
      const become = runOptions.become === false ? undefined : options.become;
      return memo(`run:${JSON.stringify(argv)}:${runOptions.stdin ?? ""}`, () =>
        conn.exec(commandLine(argv), { stdin: runOptions.stdin, become }),
      );
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
      const out = new Map<string, Stat | null>();
      const missing: string[] = [];
      for (const path of paths) {
        const p = projected(`stat:${path}`);
        if (p.hit) out.set(path, p.value as Stat | null);
        else if (state.cache.has(`${becomeKey}\0stat:${path}`)) out.set(path, await memo(`stat:${path}`, async () => null));
        else missing.push(path);
      }
      if (missing.length) {
        const contents = new Map<string, string>();
        const fetched = statPaths(conn, missing, options.become, contents);
        missing.forEach((path) => memo(`stat:${path}`, async () => (await fetched).get(path) ?? null));
        await fetched.catch(() => undefined);
        for (const [path, text] of contents) memo(`file:${path}`, async () => text);
        const result = await fetched;
        for (const path of missing) out.set(path, result.get(path) ?? null);
      }
      return out;
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
