/**
 * Drift history: each run's report kept as a JSON file under the state
 * directory, one folder per playbook + inventory fingerprint, the newest
 * `keep` files kept. From it: debouncing (`--alert-after N`: a field is
 * drift only once it drifted in N consecutive runs; before that it is
 * pending) and `hoist drift --history` (when each resource started and
 * stopped drifting). Files land whole (temporary file, fsync, rename).
 */
import { randomBytes } from "node:crypto";
import { privateDir } from "../host/private-file.ts";
import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type DriftItem, type DriftReport, itemKey, settle } from "./report.ts";

/**
 * Where hoist keeps state: `$HOIST_STATE_DIR`, else `$XDG_STATE_HOME/hoist`, else `~/.local/state/hoist`.
 *
 * @example
 * defaultStateDir({ HOIST_STATE_DIR: "/var/lib/hoist" }) // "/var/lib/hoist"
 */
export function defaultStateDir(env: Record<string, string | undefined> = process.env): string {
  return env.HOIST_STATE_DIR || join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "hoist");
}

/** The folder of one playbook + inventory pair's runs. */
export const historyDir = (stateDir: string, fingerprint: string) => join(stateDir, "drift", fingerprint);

/**
 * The stored reports of a fingerprint, oldest first (unreadable files are skipped: a report is never half there).
 *
 * @example
 * readHistory("/var/lib/hoist", report.fingerprint).length // runs kept so far
 */
export function readHistory(stateDir: string, fingerprint: string): DriftReport[] {
  const dir = historyDir(stateDir, fingerprint);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: DriftReport[] = [];
  for (const n of names.sort()) {
    try {
      const r = JSON.parse(readFileSync(join(dir, n), "utf8")) as DriftReport;
      if (r.kind === "hoist-drift") out.push(r);
    } catch {
      // Not a report of ours: left alone.
    }
  }
  return out;
}

/**
 * Store a report and drop the oldest beyond `keep`.
 *
 * @example
 * saveReport("/var/lib/hoist", report, 200)
 */
export function saveReport(stateDir: string, report: DriftReport, keep: number): void {
  const dir = historyDir(stateDir, report.fingerprint);
  privateDir(dir);
  // Sortable by name: the start time, then the pid so two runs in one millisecond do not collide.
  const name = `${report.started_at.replace(/[:.]/g, "-")}-${process.pid}.json`;
  const tmp = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  // Exclusive: never written through a file or link someone else left there.
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, JSON.stringify(report));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(dir, name));
  const names = readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort();
  for (const old of names.slice(0, Math.max(0, names.length - keep))) unlinkSync(join(dir, old));
}

const drifted = (r: DriftReport) => new Set([...r.drift, ...r.pending].map(itemKey));

/**
 * Debounce: a field counts as drift once it drifted in `alertAfter`
 * consecutive runs (this one included); before that it is pending. Every
 * item gets `runs`.
 *
 * @example
 * debounce(report, readHistory(dir, report.fingerprint), 3).pending // drifted in fewer than 3 runs in a row
 */
export function debounce(report: DriftReport, previous: DriftReport[], alertAfter: number): DriftReport {
  const runs = previous.map((r) => ({ drifted: drifted(r), silent: new Set(r.errors.map((e) => e.host)) })).reverse();
  const runsOf = (i: DriftItem) => {
    let n = 1;
    for (const r of runs) {
      if (r.drifted.has(itemKey(i))) n++;
      // A run where the host failed or could not be reached said nothing about it: the streak goes on.
      else if (!r.silent.has(i.host)) break;
    }
    return n;
  };
  const drift: DriftItem[] = [];
  const pending: DriftItem[] = [...report.pending];
  for (const item of report.drift) {
    const counted = { ...item, runs: runsOf(item) };
    (counted.runs >= alertAfter ? drift : pending).push(counted);
  }
  return settle({ ...report, drift, pending });
}

/** When one field drifted: from the first drifted run to the first run after without it (null: still drifting). */
export interface DriftSpan {
  host: string;
  resource: string;
  field: string;
  from: string;
  to: string | null;
  runs: number;
}

/**
 * Spans of drift per field, from reports oldest first.
 *
 * @example
 * driftSpans(readHistory(dir, fp)) // [{ host: "node1", resource: "unit:nginx.service", field: "state", from: "…", to: null, runs: 3 }]
 */
export function driftSpans(reports: DriftReport[]): DriftSpan[] {
  const open = new Map<string, DriftSpan>();
  const done: DriftSpan[] = [];
  for (const r of reports) {
    const now = new Map([...r.drift, ...r.pending].map((i) => [itemKey(i), i]));
    for (const [key, span] of open) {
      if (now.has(key)) continue;
      // A run that could not reach the host says nothing about it: the span stays open.
      if (r.errors.some((e) => e.host === span.host && e.status === "unreachable")) continue;
      done.push({ ...span, to: r.started_at });
      open.delete(key);
    }
    for (const [key, i] of now) {
      const span = open.get(key);
      if (span) span.runs++;
      else open.set(key, { host: i.host, resource: i.resource, field: i.field, from: r.started_at, to: null, runs: 1 });
    }
  }
  return [...done, ...open.values()].sort((a, b) => a.from.localeCompare(b.from) || a.host.localeCompare(b.host));
}
