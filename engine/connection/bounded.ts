/**
 * A connection whose commands all have one bound: what a task's `timeout:`
 * gives every command the task runs (its reads, its steps, its writes).
 */
import type { Connection, ExecOptions, RunResult } from "./types.ts";

/**
 * `conn` with `timeoutMs` on every command that sets none; `conn` itself when there is no bound.
 *
 * @example
 * const conn = bounded(await host.connect(), task.timeout === undefined ? undefined : task.timeout * 1000);
 * await conn.exec("ip -j addr"); // fails with CommandTimeout past the bound
 */
export function bounded(conn: Connection, timeoutMs: number | undefined): Connection {
  if (timeoutMs === undefined) return conn;
  return {
    host: conn.host,
    exec: (command: string, options: ExecOptions = {}): Promise<RunResult> => conn.exec(command, { timeoutMs, ...options }),
    close: () => conn.close(),
  };
}
