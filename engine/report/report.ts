/**
 * Output: Ansible-shaped human lines and recap, or one JSON document
 * (schema below, `version` 1) with `--json`.
 *
 * JSON document, version 1:
 * { version: 1, playbook, check, diff, duration_ms,
 *   plays: [{ name, hosts: [..], results: [{ task, id?, where: "file:line", identity, host, kind: "task"|"handler", status, changed,
 *             msg?, diff: [{ resource, field, before, after, path?, sensitive? }], duration_ms, items?: [{ item, status, changed, msg?, diff }] }] }],
 *   stats: { HOST: { ok, changed, unreachable, failed, skipped, rescued, ignored, unknown } } }
 * `status` is one of ok, changed, skipped, failed, unreachable, unknown (check mode cannot know
 * until an earlier change is applied; `unknown` was added within version 1).
 */
import { printable } from "./printable.ts";
import type { createTwoFilesPatch } from "diff";
import type { Play, Task } from "../load/playbook.ts";
import type { TaskResult } from "../outcome/result.ts";
import type { HostStats } from "../outcome/stats.ts";
import type { Reporter } from "../outcome/reporter.ts";
import type { Change } from "../module.ts";
import { formatWhere } from "../errors.ts";

/**
 * The version of `--json` output's shape: bumped when a field changes meaning or goes away.
 */
export const JSON_SCHEMA_VERSION = 1;

import { HIDDEN, REDACTED } from "./redact.ts";

const colors = {
  ok: "\x1b[32m",
  changed: "\x1b[33m",
  skipped: "\x1b[36m",
  failed: "\x1b[31m",
  unreachable: "\x1b[31m",
  unknown: "\x1b[35m",
  reset: "\x1b[0m",
};

function show(v: unknown): string {
  if (v === null || v === undefined) return "(none)";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Makes a unified diff: the `diff` library, loaded only by runs that print diffs (it is some 35 files). */
export type PatchMaker = typeof createTwoFilesPatch;

/**
 * The diff maker, for a run that prints diffs.
 *
 * @example
 * const patch = await loadPatchMaker();
 */
export async function loadPatchMaker(): Promise<PatchMaker> {
  return (await import("diff")).createTwoFilesPatch;
}

/**
 * A change as a person reads it: a unified diff for file contents (given a
 * patch maker), `before → after` otherwise.
 *
 * @example
 * formatChange({ field: "mode", before: "0644", after: "0600" }) // "    mode: 0644 → 0600"
 */
export function formatChange(c: Change, createPatch?: PatchMaker): string {
  // A file is named by its path; anything else by its resource address (`unit:nginx.service`).
  const name = c.path ?? c.resource;
  if (c.sensitive) return `    ${name ? `${name} ` : ""}${c.field}: ${REDACTED} (changes)`;
  const isText = (v: unknown) => v === null || v === undefined || typeof v === "string";
  if (createPatch && c.path && c.field === "content" && isText(c.before) && isText(c.after)) {
    const before = (c.before as string | null) ?? "";
    const after = (c.after as string | null) ?? "";
    return createPatch(c.before === null ? "/dev/null" : c.path, c.after === null ? "/dev/null" : c.path, before, after, "before", "after")
      .split("\n")
      .filter((l) => !l.startsWith("=====") && !l.startsWith("Index:"))
      .join("\n")
      .trimEnd();
  }
  return `    ${name ? `${name} ` : ""}${c.field}: ${show(c.before)} → ${show(c.after)}`;
}

/**
 * How the text reporter shows results: with diffs or not, verbose, in colour, and where it writes.
 */
export interface ReporterOptions {
  diff: boolean;
  /** With `diff`: what makes unified diffs of file contents (`loadPatchMaker`). */
  createPatch?: PatchMaker;
  verbose: boolean;
  color: boolean;
  write(text: string): void;
}

/** Human output, one line per task result as results arrive. */
export class TextReporter implements Reporter {
  constructor(private readonly o: ReporterOptions) {}

  private paint(status: keyof typeof colors, text: string): string {
    return this.o.color ? `${colors[status]}${text}${colors.reset}` : text;
  }

  play(play: Play, hosts: string[]): void {
    const title = `PLAY [${play.name}] `;
    this.o.write(`\n${title}${"*".repeat(Math.max(3, 72 - title.length))}\n`);
    if (hosts.length === 0) this.o.write("skipping: no hosts matched\n");
  }

  result(task: Task, host: string, r: TaskResult, kind: "task" | "handler"): void {
    const prefix = kind === "handler" ? "RUNNING HANDLER " : "";
    const lines: string[] = [];
    const line = (res: TaskResult, suffix = "") => {
      const status = res.ignored ? "failed" : res.status;
      let text = `${status}: [${host}] ${prefix}${task.name}${suffix}`;
      // Results arrive redacted (engine/report/redact.ts); a no_log task shows its message only when it failed.
      const msg = task.noLog && res.status !== "failed" ? undefined : res.msg;
      if (msg && (res.status !== "ok" || this.o.verbose || typeof res.values.msg === "string")) {
        // A message's further lines are indented: what a host printed cannot pass for a result line.
        text += ` => ${msg.trimEnd().replace(/\n/g, "\n    ")}`;
      }
      text = printable(text);
      if (res.ignored) text += " (ignored)";
      lines.push(this.paint(res.status, text));
      if (this.o.diff && task.diff !== false && res.changes.length && !res.results) {
        lines.push(task.noLog ? `    ${HIDDEN}` : printable(res.changes.map((c) => formatChange(c, this.o.createPatch)).join("\n")));
      }
    };
    if (r.results) {
      for (const item of r.results) line(item, ` (item=${item.label})`);
      if (r.results.length === 0) line(r);
    } else line(r);
    this.o.write(lines.join("\n") + "\n");
  }

  recap(stats: Map<string, HostStats>): void {
    const width = Math.max(...[...stats.keys()].map((h) => h.length), 10);
    const lines = [...stats].map(
      ([host, s]) =>
        `${printable(host).padEnd(width)} : ok=${s.ok} changed=${s.changed} unreachable=${s.unreachable} failed=${s.failed} skipped=${s.skipped} rescued=${s.rescued} ignored=${s.ignored} unknown=${s.unknown}`,
    );
    const title = "PLAY RECAP ";
    this.o.write(`\n${title}${"*".repeat(72 - title.length)}\n${lines.join("\n")}\n`);
  }
}

interface JsonResult {
  task: string;
  id?: string;
  /** `file:line` of the task. */
  where: string;
  /** Stable across runs while names stay: `play / task-id-or-name[ #n] @ host`. */
  identity?: string;
  host: string;
  kind: string;
  status: string;
  changed: boolean;
  ignored?: boolean;
  msg?: string;
  diff: Change[];
  duration_ms: number;
  items?: { item: unknown; status: string; changed: boolean; msg?: string; diff: Change[] }[];
}

/** Collects everything and prints one JSON document at the end. */
export class JsonReporter implements Reporter {
  private readonly plays: { name: string; hosts: string[]; results: JsonResult[] }[] = [];

  play(play: Play, hosts: string[]): void {
    this.plays.push({ name: play.name, hosts, results: [] });
  }

  result(task: Task, host: string, r: TaskResult, kind: "task" | "handler", identity?: string): void {
    this.plays[this.plays.length - 1].results.push({
      task: task.name,
      ...(task.id ? { id: task.id } : {}),
      where: formatWhere({ file: task.where.file, line: task.where.line }),
      ...(identity ? { identity } : {}),
      host,
      kind,
      status: r.status,
      changed: r.changed,
      ...(r.ignored ? { ignored: true } : {}),
      ...(r.msg !== undefined ? { msg: r.msg } : {}),
      diff: r.changes,
      duration_ms: r.durationMs,
      ...(r.results
        ? {
            items: r.results.map((i) => ({
              item: i.item,
              status: i.status,
              changed: i.changed,
              ...(i.msg !== undefined ? { msg: i.msg } : {}),
              diff: i.changes,
            })),
          }
        : {}),
    });
  }

  document(meta: { playbook: string; check: boolean; diff: boolean; durationMs: number }, stats: Map<string, HostStats>): string {
    return JSON.stringify(
      {
        version: JSON_SCHEMA_VERSION,
        playbook: meta.playbook,
        check: meta.check,
        diff: meta.diff,
        duration_ms: meta.durationMs,
        plays: this.plays,
        stats: Object.fromEntries(stats),
      },
      null,
      2,
    );
  }
}
