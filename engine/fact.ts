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
 * ```ts
 * import { defineFact } from "./fact.ts";
 * const SysctlValue = defineFact<{ name: string }, string | null>({
 *   name: "SysctlValue",
 *   command: ({ name }) => ["sysctl", "-n", "--", name],
 *   parse: (r) => (r.code === 0 ? r.stdout.trim() : null),
 * });
 * // The parser is pure: a fixture is the command, an answer and the value.
 * if (SysctlValue.parse({ code: 0, stdout: "1\n", stderr: "" }, { name: "net.ipv4.ip_forward" }) !== "1") throw new Error("example");
 * if (SysctlValue.command({ name: "vm.swappiness" }).join(" ") !== "sysctl -n -- vm.swappiness") throw new Error("example");
 * ```
 */
import type { RunResult } from "./connection/types.ts";

/**
 * A typed read of a host (see the example at the top of this file).
 *
 * @example
 * ```ts
 * import type { Fact } from "./fact.ts";
 * const Kernel: Fact<Record<string, never>, string> = { name: "Kernel", command: () => ["uname", "-r"], parse: (r) => r.stdout.trim() };
 * if (Kernel.parse({ code: 0, stdout: "6.1.0-18-amd64\n", stderr: "" }, {}) !== "6.1.0-18-amd64") throw new Error("example");
 * ```
 */
export interface Fact<A = any, V = unknown> {
  /** Unique, in PascalCase: what fixtures and check-mode projections name it by. */
  readonly name: string;
  /** The argv that reads it. It must not change the host. */
  command(args: A): string[];
  /**
   * What the command reads on its standard input, for these arguments (a
   * manifest for `kubectl -f -`): data too large for an argument (Linux
   * caps one at 128 KiB) or that must not show in a process list.
   */
  stdin?(args: A): string;
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
  /**
   * The files this one answer is made of, for these arguments (a unit's own
   * file and drop-in directories): in check mode, a write planned to one of
   * them makes the answer unknown, as the real run reads it again after it.
   */
  files?(args: A): readonly string[];
}

/**
 * Identity helper that gives a fact its types.
 *
 * @example
 * ```ts
 * import { defineFact } from "./fact.ts";
 * const Uptime = defineFact<Record<string, never>, number>({ name: "Uptime", command: () => ["cat", "/proc/uptime"], parse: (r) => Number(r.stdout.split(" ")[0]), fresh: true });
 * if (Uptime.parse({ code: 0, stdout: "12.5 30.1\n", stderr: "" }, {}) !== 12.5) throw new Error("example");
 * ```
 */
export function defineFact<A, V>(fact: Fact<A, V>): Fact<A, V> {
  return fact;
}

/**
 * The key that names one read of a fact: its name and its arguments.
 *
 * @example
 * ```ts
 * import { defineFact, factKey } from "./fact.ts";
 * const SystemdUnit = defineFact<{ unit: string }, string>({ name: "SystemdUnit", command: ({ unit }) => ["systemctl", "show", "--", unit], parse: (r) => r.stdout });
 * if (factKey(SystemdUnit, { unit: "haproxy.service" }) !== 'SystemdUnit {"unit":"haproxy.service"}') throw new Error("example");
 * ```
 */
export function factKey(fact: Fact, args: unknown): string {
  return `${fact.name} ${JSON.stringify(args)}`;
}

/**
 * What a remembered fact's command reports: the identity it read at, and its value unless `unchanged`.
 *
 * @example
 * ```ts
 * import type { Remembered } from "./fact.ts";
 * const same: Remembered<string> = { identity: "2049:131:4096:1733.5:1733.5", value: null, unchanged: true };
 * if (same.value !== null) throw new Error("example");
 * ```
 */
export interface Remembered<V> {
  identity: string | null;
  value: V | null;
  unchanged: boolean;
}

/**
 * A fact whose answers the control machine keeps across runs, by an identity
 * its command prints first (a file's device, inode, size and times): given
 * the identity last seen as `since`, the command skips the costly part when
 * it still holds and reports `unchanged`. Read with `probe.remembered`,
 * which returns the value, kept or fresh.
 *
 * @example
 * ```ts
 * import { defineFact, type RememberedFact } from "./fact.ts";
 * const Sum: RememberedFact<{ path: string }, string> = defineFact({
 *   name: "Sum",
 *   command: ({ path, since }) => ["sh", "-c", 'id=$(stat -c %i:%Y -- "$1") && echo "$id" && { [ "$id" = "$2" ] || sha256sum -- "$1"; }', "sh", path, since],
 *   parse: (r, { since }) => {
 *     const [identity = null, line = ""] = r.stdout.split("\n");
 *     return { identity, value: line.split(" ")[0] || null, unchanged: identity !== null && identity === since };
 *   },
 * });
 * if (Sum.parse({ code: 0, stdout: "7:1\n", stderr: "" }, { path: "/x", since: "7:1" }).unchanged !== true) throw new Error("example");
 * ```
 */
export type RememberedFact<A, V> = Fact<A & { since: string }, Remembered<V>>;
