/**
 * Check-mode projections: what a plan's changes would make true, as typed
 * values of the reads later plans make, and what they would make unknowable.
 * In check mode nothing is applied, so a later task on the same host reads
 * the host as it is; the overlay these rules build lets it read the host as
 * the run would have left it, or learn that it cannot know. Explanations
 * (summaries, reasons) never take part: only these rules do.
 *
 * @example
 * ```ts
 * import { defineFact } from "./fact.ts";
 * import { projectFact } from "./projection.ts";
 * const Unit = defineFact<{ unit: string }, { ActiveState: string; NeedDaemonReload: string }>({ name: "Unit", command: ({ unit }) => ["systemctl", "show", "--", unit], parse: () => ({ ActiveState: "inactive", NeedDaemonReload: "yes" }) });
 * const started = { changes: [{ field: "state", before: "inactive", after: "active" }], steps: [{ run: ["systemctl", "start", "--", "x.service"] }],
 *   projects: [projectFact(Unit, { unit: "x.service" }, { ActiveState: "active", NeedDaemonReload: "no" })] };
 * if (started.projects[0].kind !== "value") throw new Error("example");
 * ```
 */
import type { Fact } from "./fact.ts";
import { factKey } from "./fact.ts";
import type { Stat } from "./contract/probe.ts";

/**
 * One rule: a read's value, a change to every read of a fact, a tree emptied, the reads of a fact a plan leaves alone, or reads made unknowable.
 *
 * @example
 * ```ts
 * import { projectEmpty, projectStat, type Projection } from "./projection.ts";
 * const rules: Projection[] = [projectStat("/srv/new", { type: "directory", mode: "0755", owner: "root", group: "root", size: 4096 }), projectEmpty("/srv/new")];
 * if (rules.map((r) => r.kind).join() !== "value,empty") throw new Error("example");
 * ```
 */
export type Projection =
  | { kind: "value"; key: string; value: unknown }
  | { kind: "transform"; fact: string; transform: (value: unknown) => unknown }
  | { kind: "empty"; path: string }
  | { kind: "spare"; fact: string; affected: (args: unknown) => boolean }
  | {
      kind: "unknown";
      facts?: string[];
      paths?: string[];
      keys?: string[];
      everything?: boolean;
      /** A step's footprint (the engine adds it for every step): what the real run forgets after it, but the facts named in `except` and the reads `spare` leaves alone. */
      touched?: readonly string[] | "anything";
      except?: string[];
      spare?: { fact: string; affected: (args: unknown) => boolean }[];
    };

/**
 * A fact read (this fact, these arguments) will give `value`.
 *
 * @example
 * ```ts
 * import { defineFact } from "./fact.ts";
 * import { projectFact } from "./projection.ts";
 * const Unit = defineFact<{ unit: string }, { ActiveState: string; NeedDaemonReload: string }>({ name: "Unit", command: ({ unit }) => ["systemctl", "show", "--", unit], parse: () => ({ ActiveState: "inactive", NeedDaemonReload: "yes" }) });
 * const p = projectFact(Unit, { unit: "x.service" }, { ActiveState: "active", NeedDaemonReload: "no" });
 * if (p.kind !== "value" || p.key !== 'fact:Unit {"unit":"x.service"}') throw new Error("example");
 * ```
 */
export function projectFact<A, V>(fact: Fact<A, V>, args: A, value: V): Projection {
  return { kind: "value", key: `fact:${factKey(fact, args)}`, value };
}

/**
 * Every read of `fact`, whatever its arguments, will give `transform` of what it gives now.
 *
 * @example
 * ```ts
 * import { defineFact } from "./fact.ts";
 * import { projectEveryFact } from "./projection.ts";
 * const Unit = defineFact<{ unit: string }, { ActiveState: string; NeedDaemonReload: string }>({ name: "Unit", command: ({ unit }) => ["systemctl", "show", "--", unit], parse: () => ({ ActiveState: "inactive", NeedDaemonReload: "yes" }) });
 * const reloaded = projectEveryFact(Unit, (u) => ({ ...u, NeedDaemonReload: "no" })); // after daemon-reload
 * if (reloaded.kind !== "transform" || JSON.stringify(reloaded.transform({ ActiveState: "active", NeedDaemonReload: "yes" })) !== '{"ActiveState":"active","NeedDaemonReload":"no"}') throw new Error("example");
 * ```
 */
export function projectEveryFact<A, V>(fact: Fact<A, V>, transform: (value: V) => V): Projection {
  return { kind: "transform", fact: fact.name, transform: transform as (v: unknown) => unknown };
}

/**
 * Of `fact`'s reads, the plan's steps change only those whose arguments
 * `affected` accepts: the others keep the answer they have, though the steps
 * touch the files the fact is made of (groupadd rewrites /etc/group, and
 * every other group stays as it was). The affected reads are unknown unless
 * a projection of the plan says their value.
 * @example
 * ```ts
 * import { defineFact } from "./fact.ts";
 * import { projectOnlyAffects } from "./projection.ts";
 * const Group = defineFact<{ key: string }, string | null>({ name: "Group", command: ({ key }) => ["getent", "group", "--", key], parse: (r) => r.stdout || null, files: () => ["/etc/group"] });
 * const p = projectOnlyAffects(Group, ({ key }) => key === "app" || /^\d+$/.test(key));
 * if (p.kind !== "spare" || p.affected({ key: "users" })) throw new Error("example");
 * ```
 */
export function projectOnlyAffects<A, V>(fact: Fact<A, V>, affected: (args: A) => boolean): Projection {
  return { kind: "spare", fact: fact.name, affected: affected as (args: unknown) => boolean };
}

/**
 * `stat(path)` will give `stat` (null: gone).
 *
 * @example
 * ```ts
 * import { projectStat } from "./projection.ts";
 * const p = projectStat("/srv/data", { type: "directory", mode: "0755", owner: "root", group: "root", size: 4096 });
 * if (p.kind !== "value" || p.key !== "stat:/srv/data") throw new Error("example");
 * ```
 */
export function projectStat(path: string, stat: Stat | null): Projection {
  return { kind: "value", key: `stat:${path}`, value: stat };
}

/**
 * `readFile(path)` will give `text` (null: gone).
 *
 * @example
 * ```ts
 * import { projectFile } from "./projection.ts";
 * const p = projectFile("/proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n");
 * if (p.kind !== "value" || p.key !== "file:/proc/swaps") throw new Error("example");
 * ```
 */
export function projectFile(path: string, text: string | null): Projection {
  return { kind: "value", key: `file:${path}`, value: text };
}

/**
 * Nothing will be below `path` (a directory just created, or a tree removed).
 *
 * @example
 * ```ts
 * import { projectEmpty } from "./projection.ts";
 * if (projectEmpty("/srv/new").kind !== "empty") throw new Error("example");
 * ```
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
 * ```ts
 * import { unknowable } from "./projection.ts";
 * const afterInstall = unknowable({ paths: ["/etc/", "/usr/"] }); // a package install
 * if (afterInstall.kind !== "unknown" || afterInstall.paths?.length !== 2) throw new Error("example");
 * ```
 */
export function unknowable(what: { facts?: Fact[]; paths?: string[]; everything?: boolean }): Projection {
  return { kind: "unknown", facts: what.facts?.map((f) => f.name), paths: what.paths, everything: what.everything };
}
