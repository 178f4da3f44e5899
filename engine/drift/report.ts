/**
 * A drift report as data: what a check run found, per host and resource,
 * built from the run API's results. Deciding (what drifted, what is unknown,
 * what failed) happens here once; formats and the GitHub reporter only
 * present it. Results arrive redacted, so nothing secret is in it.
 *
 * JSON document (`hoist drift --json`), version 1:
 * { version: 1, kind: "hoist-drift", playbook, inventory, fingerprint, started_at, duration_ms,
 *   status: "clean"|"drift"|"error",
 *   drift:   [{ host, task, where, identity, resource, field, declared, found, sensitive?, runs? }],
 *   pending: [ same, with runs: consecutive drifted runs so far, below --alert-after ],
 *   ignored: [ same, with rule: the drift_ignore rule that matched ],
 *   unknown: [{ host, task, where, identity, reason }],
 *   errors:  [{ host, task, where, identity, status: "failed"|"unreachable", msg }],
 *   hosts:   { HOST: { drifted, unknown, errors } } }
 * `declared` is what the playbook wants, `found` what the host has.
 */
import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import type { RunOutcome } from "../run/run.ts";
import type { Change } from "../module.ts";
import { resourceOf } from "../module.ts";
import type { TaskResult } from "../outcome/result.ts";

/**
 * The version of the drift report's JSON shape: bumped when a field changes meaning or goes away.
 */
export const DRIFT_SCHEMA_VERSION = 1;

/** Where a result comes from: host and task. */
export interface DriftPlace {
  host: string;
  task: string;
  /** `file:line` of the task. */
  where: string;
  /** Stable across runs: `play / task @ host`. */
  identity: string;
}

/** One field of one resource that is not as declared. */
export interface DriftItem extends DriftPlace {
  /** A stable address: `unit:nginx.service`, `file:/etc/hosts`, `k8s:ConfigMap/default/web`. */
  resource: string;
  field: string;
  declared: unknown;
  found: unknown;
  sensitive?: boolean;
  /** Consecutive drifted runs, this one included (known when history is kept). */
  runs?: number;
  /** The `drift_ignore` rule that matched, for ignored items. */
  rule?: string;
}

/**
 * What `hoist drift` found: each drifted resource with host, task (file:line) and the change,
 * what could not be known, and the verdict.
 */
export interface DriftReport {
  version: typeof DRIFT_SCHEMA_VERSION;
  kind: "hoist-drift";
  playbook: string;
  inventory: string | null;
  /** Names the playbook + inventory pair: one GitHub issue, one history. */
  fingerprint: string;
  started_at: string;
  duration_ms: number;
  status: "clean" | "drift" | "error";
  drift: DriftItem[];
  pending: DriftItem[];
  ignored: DriftItem[];
  unknown: (DriftPlace & { reason: string })[];
  errors: (DriftPlace & { status: "failed" | "unreachable"; msg: string })[];
  hosts: Record<string, { drifted: number; unknown: number; errors: number }>;
}

/**
 * The fingerprint of a playbook + inventory pair: the same files give the same
 * one from any working directory.
 *
 * @example
 * fingerprintOf("site.yaml", "inventories/prod") // "3f1c…" (16 hex digits)
 */
export function fingerprintOf(playbook: string, inventory: string | null): string {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return p;
    }
  };
  return createHash("sha256")
    .update(`${real(playbook)}\n${inventory === null ? "" : real(inventory)}`)
    .digest("hex")
    .slice(0, 16);
}

/**
 * The key of a drifted field across runs (history, debouncing, GitHub's resource set).
 *
 * @example
 * itemKey({ host: "node1", resource: "unit:nginx.service", field: "state" }) // "node1 unit:nginx.service state"
 */
export function itemKey(i: Pick<DriftItem, "host" | "resource" | "field">): string {
  return `${i.host} ${i.resource} ${i.field}`;
}

function itemsOf(place: DriftPlace, result: TaskResult): DriftItem[] {
  const changes: Change[] = result.results ? result.results.flatMap((r) => (r.changed ? r.changes : [])) : result.changes;
  if (changes.length === 0)
    // Changed without a listed change (a module that only says so): the task itself is the resource.
    return [{ ...place, resource: `task:${place.task}`, field: "changed", declared: "as the task declares", found: result.msg ?? "would change" }];
  return changes.map((c) => ({
    ...place,
    resource: resourceOf(c) ?? `task:${place.task}`,
    field: c.field,
    declared: c.after ?? null,
    found: c.before ?? null,
    ...(c.sensitive ? { sensitive: true } : {}),
  }));
}

/**
 * Turn a check run's outcome into a drift report (before ignore rules and debouncing).
 *
 * @example
 * const outcome = await createRun({ playbook, inventory, check: true });
 * const report = buildReport(outcome, { playbook, inventory, startedAt: new Date() });
 * report.status // "drift" when anything would change
 */
export function buildReport(
  outcome: Pick<RunOutcome, "results" | "stats" | "durationMs">,
  meta: { playbook: string; inventory: string | null; startedAt: Date },
): DriftReport {
  const report: DriftReport = {
    version: DRIFT_SCHEMA_VERSION,
    kind: "hoist-drift",
    playbook: meta.playbook,
    inventory: meta.inventory,
    fingerprint: fingerprintOf(meta.playbook, meta.inventory),
    started_at: meta.startedAt.toISOString(),
    duration_ms: outcome.durationMs,
    status: "clean",
    drift: [],
    pending: [],
    ignored: [],
    unknown: [],
    errors: [],
    hosts: {},
  };
  for (const r of outcome.results) {
    const place: DriftPlace = { host: r.host, task: r.task, where: r.where, identity: r.identity };
    const status = r.result.ignored ? "ok" : r.result.status;
    // A handler that would run is a consequence of drift already listed, not a resource of its own.
    if (status === "changed" && r.kind === "task") report.drift.push(...itemsOf(place, r.result));
    else if (status === "unknown") report.unknown.push({ ...place, reason: r.result.msg ?? "cannot know before the run" });
    else if (status === "failed" || status === "unreachable") report.errors.push({ ...place, status, msg: r.result.msg ?? status });
  }
  for (const host of outcome.stats.keys()) report.hosts[host] = { drifted: 0, unknown: 0, errors: 0 };
  // By host, then in playbook order (results arrive as hosts finish): the same drift reads the same every run.
  const byHost = (a: { host: string }, b: { host: string }) => a.host.localeCompare(b.host);
  report.drift.sort(byHost);
  report.unknown.sort(byHost);
  report.errors.sort(byHost);
  return settle(report);
}

/**
 * Recount hosts and status after items moved (ignore rules, debouncing).
 *
 * @example
 * settle({ ...report, drift: [] }).status // "clean" unless there were errors
 */
export function settle(report: DriftReport): DriftReport {
  const hosts: DriftReport["hosts"] = Object.fromEntries(Object.keys(report.hosts).map((h) => [h, { drifted: 0, unknown: 0, errors: 0 }]));
  const at = (h: string) => (hosts[h] ??= { drifted: 0, unknown: 0, errors: 0 });
  for (const i of report.drift) at(i.host).drifted++;
  for (const u of report.unknown) at(u.host).unknown++;
  for (const e of report.errors) at(e.host).errors++;
  const status = report.errors.length ? "error" : report.drift.length ? "drift" : "clean";
  return { ...report, hosts, status };
}

/**
 * The exit code of a drift run: 0 clean, 2 drift, 1 error (unreachable hosts, failed plans).
 *
 * @example
 * exitCodeOf({ status: "drift" }) // 2
 */
export function exitCodeOf(report: Pick<DriftReport, "status">): number {
  return report.status === "error" ? 1 : report.status === "drift" ? 2 : 0;
}
