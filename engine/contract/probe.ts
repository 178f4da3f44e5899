/**
 * What a module plans against: read-only access to one host (`Probe`) and
 * what a stat says. Part of the module contract (re-exported by engine/module.ts).
 *
 * @example
 * ```ts
 * import type { Stat } from "./probe.ts";
 * const missing: Stat | null = null;
 * if (missing !== null) throw new Error("example");
 * ```
 */
import type { Fact, RememberedFact } from "../fact.ts";

/**
 * What `stat` reports; `null` from `Probe.stat` means the path does not exist.
 *
 * @example
 * ```ts
 * import type { Stat } from "./probe.ts";
 * const hosts: Stat = { type: "file", mode: "0644", owner: "root", group: "root", size: 221 };
 * if (hosts.mode !== "0644") throw new Error("example");
 * ```
 */
export interface Stat {
  type: "file" | "directory" | "link" | "other";
  /** Octal permission bits, four digits ("0644"). */
  mode: string;
  owner: string;
  group: string;
  size: number;
  /** Link target, for links. */
  target?: string;
}

/**
 * Read-only access to one host. Answers are memoised per host and forgotten
 * once something is applied to that host that may change them. In check mode, reads see the state
 * that earlier planned (but not applied) changes would have produced.
 *
 * @example
 * ```ts
 * import { defineFact } from "../fact.ts";
 * import type { Probe } from "./probe.ts";
 * const Hostname = defineFact<Record<string, never>, string>({ name: "Hostname", command: () => ["hostname"], parse: (r) => r.stdout.trim() });
 * async function describe(probe: Probe): Promise<string> {
 *   const [name, hosts] = await Promise.all([probe.fact(Hostname, {}), probe.stat("/etc/hosts")]);
 *   return `${name}: /etc/hosts is ${hosts ? hosts.mode : "missing"}`;
 * }
 * const probe = { host: "h", check: false, fact: async () => "node1", readFile: async () => null, stat: async () => null, statMany: async () => new Map() } as unknown as Probe;
 * if ((await describe(probe)) !== "node1: /etc/hosts is missing") throw new Error("example");
 * ```
 */
export interface Probe {
  readonly host: string;
  readonly check: boolean;
  /**
   * Read a fact (see `engine/fact.ts`): memoised until a step touches the
   * host, unless the fact is `fresh`; in check mode, what earlier planned
   * changes would make of it.
   */
  fact<A, V>(fact: Fact<A, V>, args: A): Promise<V>;
  /** File content as UTF-8, or null when absent. */
  readFile(path: string): Promise<string | null>;
  stat(path: string): Promise<Stat | null>;
  /** Several stats in one round trip. */
  statMany(paths: string[]): Promise<Map<string, Stat | null>>;
  /**
   * Read a remembered fact (see `RememberedFact`): its value kept on the
   * control machine when the host reports the same identity, so an
   * unchanged file is not hashed again run after run; null when the host
   * has none (a missing file).
   */
  remembered<A, V>(fact: RememberedFact<A, V>, args: A): Promise<V | null>;
}
