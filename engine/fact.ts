/**
 * A fact is a named, typed read of a host: the command that reads it and a
 * pure parser of what the command printed (pyinfra's facts are the model).
 * Modules read facts through `Probe.fact`, never raw command output, so one
 * reader serves every module that needs it, and a module's planning fixtures
 * hold fact values, not the text of whole shell scripts. Each fact has its
 * own fixtures, `test/facts/<Name>/<case>.json`: `args`, the `command` it
 * runs, the `output` a host gave, and the `value` parsed from it.
 *
 * @example
 * export const SysctlValue = defineFact<{ name: string }, string | null>({
 *   name: "SysctlValue",
 *   command: ({ name }) => ["sysctl", "-n", "--", name],
 *   parse: (r) => (r.code === 0 ? r.stdout.trim() : null),
 * });
 * const live = await probe.fact(SysctlValue, { name: "net.ipv4.ip_forward" }); // "1"
 */
import type { RunResult } from "./module.ts";

export interface Fact<A = any, V = unknown> {
  /** Unique, in PascalCase: what fixtures and check-mode projections name it by. */
  readonly name: string;
  /** The argv that reads it. It must not change the host. */
  command(args: A): string[];
  /** The value, from what the command returned; throws when the answer means the read failed. */
  parse(result: RunResult, args: A): V;
  /**
   * Never memoised: every read asks the host again (a clock, a port being
   * polled). Default: memoised until a step touches the host.
   */
  readonly fresh?: boolean;
  /**
   * May be read ahead of its task, when the engine plans a play's tasks
   * together to batch their reads. False for a slow or remote read
   * (`kubectl diff`). Default true.
   */
  readonly prefetch?: boolean;
  /**
   * Path prefixes on the host whose files make up the fact (a unit's state
   * comes from /etc/systemd/system, …): in check mode, an earlier planned
   * change to a path under them makes this fact unknown.
   */
  readonly paths?: readonly string[];
}

/**
 * Identity helper that gives a fact its types.
 *
 * @example
 * const Uptime = defineFact<Record<string, never>, number>({ name: "Uptime", command: () => ["cat", "/proc/uptime"], parse: (r) => Number(r.stdout.split(" ")[0]), fresh: true });
 */
export function defineFact<A, V>(fact: Fact<A, V>): Fact<A, V> {
  return fact;
}

/**
 * The key that names one read of a fact: its name and its arguments.
 *
 * @example
 * factKey(SystemdUnit, { unit: "haproxy.service" }) // 'SystemdUnit {"unit":"haproxy.service"}'
 */
export function factKey(fact: Fact, args: unknown): string {
  return `${fact.name} ${JSON.stringify(args)}`;
}
