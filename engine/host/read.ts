/**
 * One read of a host as the engine sees it, and the one rule for what a
 * step makes of it. The real run forgets a memoised read after a step that
 * may have changed its answer, and reads the host again; check mode, where
 * nothing is applied, treats the same read as unknown unless a projection
 * says what it becomes. Both ask `staleAfter`, so they cannot disagree about
 * what a step changed.
 *
 * @example
 * ```ts
 * import { staleAfter, touchedBy } from "./read.ts";
 * const written = touchedBy({ write: "/etc/systemd/system/web.service", content: "[Unit]\n" });
 * const unit = { key: 'fact:SystemdUnit {"unit":"web.service"}', files: () => ["/etc/systemd/system/web.service"] };
 * if (!staleAfter(unit, written) || staleAfter({ key: "stat:/etc/hosts", path: "/etc/hosts" }, written)) throw new Error("example");
 * ```
 */
import type { Fact } from "../fact.ts";
import { isWrite, type Step } from "../module.ts";

/**
 * One read as the overlay and the memo see it: its key, and the fact or path it reads.
 *
 * @example
 * ```ts
 * import type { Read } from "./read.ts";
 * const hosts: Read = { key: "stat:/etc/hosts", path: "/etc/hosts" };
 * if (hosts.path !== "/etc/hosts") throw new Error("example");
 * ```
 */
export interface Read {
  key: string;
  fact?: Fact;
  /** The fact's arguments, for a plan that changes only some of its reads (`projectOnlyAffects`). */
  args?: unknown;
  path?: string;
  /**
   * The absolute paths a fact's command line names (the program it runs, a
   * kubeconfig): the answer depends on those files too, so a read through
   * `/snap/bin/microk8s` is stale after a snap install. A function: only a
   * rule with paths asks.
   */
  named?: () => readonly string[];
  /** The files a fact's answer is made of (`Fact.files`). */
  files?: () => readonly string[];
}

/**
 * What one step may change on its host: these paths (with what is under
 * them, and the parents it may create), or anything (a command that does not
 * say, `RunStep.touches` unset).
 *
 * @example
 * ```ts
 * import type { Touched } from "./read.ts";
 * const mkdir: Touched = ["/srv/data"];
 * const script: Touched = "anything";
 * if (!Array.isArray(mkdir) || script !== "anything") throw new Error("example");
 * ```
 */
export type Touched = readonly string[] | "anything";

/**
 * What a step may change: the file it writes, the paths a command declares, or anything.
 *
 * @example
 * ```ts
 * import { touchedBy } from "./read.ts";
 * if (touchedBy({ run: ["systemctl", "start", "--", "web.service"] }) !== "anything") throw new Error("example");
 * if (touchedBy({ run: ["mkdir", "-p", "--", "/srv"], touches: ["/srv"] })[0] !== "/srv") throw new Error("example");
 * ```
 */
export function touchedBy(step: Step): Touched {
  if (isWrite(step)) return [step.write];
  return step.touches ?? "anything";
}

/**
 * A path is under a prefix: itself or below it (`/etc/` and `/etc` both cover `/etc/fstab`).
 *
 * @example
 * ```ts
 * import { under } from "./read.ts";
 * if (!under("/etc/fstab", "/etc/") || under("/etcetera", "/etc")) throw new Error("example");
 * ```
 */
export function under(path: string, prefix: string): boolean {
  const p = prefix.replace(/(?<=.)\/+$/, "");
  const q = path.replace(/(?<=.)\/+$/, "");
  return q === p || q.startsWith(p === "/" ? "/" : `${p}/`);
}

/**
 * One path holds the other.
 *
 * @example
 * ```ts
 * import { overlaps } from "./read.ts";
 * if (!overlaps("/etc", "/etc/fstab") || !overlaps("/etc/fstab", "/etc") || overlaps("/etc", "/usr")) throw new Error("example");
 * ```
 */
export function overlaps(a: string, b: string): boolean {
  return under(a, b) || under(b, a);
}

/**
 * Whether `read` may answer otherwise after a step that touched `touched`.
 * A file or stat: when it lies under a touched path, or is missing and a
 * touched path lies under it (`mkdir -p` makes parents: `absent` says the
 * read found nothing). A fact: when the files it is made of (`Fact.files`,
 * else `Fact.paths`) or the paths its command line names overlap a touched
 * path; a fact that declares neither may be made of anything, so every
 * step makes it stale.
 *
 * @example
 * ```ts
 * import { staleAfter } from "./read.ts";
 * const live = { key: "fact:HaproxyServers {}", fact: { name: "HaproxyServers", command: () => ["true"], parse: () => [] } };
 * if (!staleAfter(live, ["/srv/x"])) throw new Error("a fact made of anything is stale after every step");
 * if (!staleAfter({ key: "stat:/srv", path: "/srv" }, ["/srv/a/b"], true) || staleAfter({ key: "stat:/srv", path: "/srv" }, ["/srv/a/b"], false)) throw new Error("example");
 * ```
 */
export function staleAfter(read: Read, touched: Touched, absent = false): boolean {
  if (touched === "anything") return true;
  if (read.path !== undefined) return touched.some((t) => under(read.path!, t) || (absent && under(t, read.path!)));
  if (!read.fact) return true;
  if (read.named?.().some((n) => touched.some((t) => under(n, t)))) return true;
  const made = read.files?.() ?? read.fact.paths;
  if (!made) return true;
  return made.some((m) => touched.some((t) => overlaps(m, t)));
}
