/**
 * Check-mode projections: what a plan's changes would make true, as typed
 * values of the reads later plans make, and what they would make unknowable.
 * In check mode nothing is applied, so a later task on the same host reads
 * the host as it is; the overlay these rules build lets it read the host as
 * the run would have left it, or learn that it cannot know. Explanations
 * (summaries, reasons) never take part: only these rules do.
 *
 * @example
 * return { changes, steps, projects: [projectFact(SystemdUnit, { unit }, { ...info, ActiveState: "active" })] };
 */
import type { Fact } from "./fact.ts";
import { factKey } from "./fact.ts";
import type { Stat } from "./module.ts";

/** One rule: a read's value, a change to every read of a fact, a tree emptied, or reads made unknowable. */
export type Projection =
  | { kind: "value"; key: string; value: unknown }
  | { kind: "transform"; fact: string; transform: (value: unknown) => unknown }
  | { kind: "empty"; path: string }
  | { kind: "unknown"; facts?: string[]; paths?: string[]; keys?: string[]; everything?: boolean };

/**
 * A fact read (this fact, these arguments) will give `value`.
 *
 * @example
 * projectFact(SysctlValue, { name: "net.ipv4.ip_forward" }, "1")
 */
export function projectFact<A, V>(fact: Fact<A, V>, args: A, value: V): Projection {
  return { kind: "value", key: `fact:${factKey(fact, args)}`, value };
}

/**
 * Every read of `fact`, whatever its arguments, will give `transform` of what it gives now.
 *
 * @example
 * projectEveryFact(SystemdUnit, (u) => ({ ...u, NeedDaemonReload: "no" })) // after daemon-reload
 */
export function projectEveryFact<A, V>(fact: Fact<A, V>, transform: (value: V) => V): Projection {
  return { kind: "transform", fact: fact.name, transform: transform as (v: unknown) => unknown };
}

/**
 * `stat(path)` will give `stat` (null: gone).
 *
 * @example
 * projectStat("/srv/data", { type: "directory", mode: "0755", owner: "root", group: "root", size: 4096 })
 */
export function projectStat(path: string, stat: Stat | null): Projection {
  return { kind: "value", key: `stat:${path}`, value: stat };
}

/**
 * `readFile(path)` will give `text` (null: gone).
 *
 * @example
 * projectFile("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n")
 */
export function projectFile(path: string, text: string | null): Projection {
  return { kind: "value", key: `file:${path}`, value: text };
}

/**
 * Nothing will be below `path` (a directory just created, or a tree removed).
 *
 * @example
 * projectEmpty("/srv/new")
 */
export function projectEmpty(path: string): Projection {
  return { kind: "empty", path };
}

/**
 * Reads later plans cannot know the answer to until this change is applied:
 * these facts (by name), files and stats under these paths (and facts whose
 * `paths` overlap them), or everything.
 *
 * @example
 * unknowable({ paths: ["/etc/", "/usr/"] }) // a package install
 */
export function unknowable(what: { facts?: Fact[]; paths?: string[]; everything?: boolean }): Projection {
  return { kind: "unknown", facts: what.facts?.map((f) => f.name), paths: what.paths, everything: what.everything };
}
