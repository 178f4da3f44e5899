/**
 * A drift report as people read it: plain text for a terminal or the
 * journal, Markdown for a GitHub issue. Values come from hosts, so in
 * Markdown every one is a code span (no links, mentions, HTML or markup
 * reach the page), table pipes are escaped and long values are cut.
 */
import type { DriftItem, DriftReport } from "./report.ts";
import { printable } from "../report/printable.ts";
import type { DriftSpan } from "./history.ts";

const MAX_VALUE = 160;

/** A value on one line, cut to a readable length. */
function oneLine(v: unknown): string {
  const text = v === null || v === undefined ? "(none)" : typeof v === "string" ? v : JSON.stringify(v);
  const flat = printable(text.replace(/\r?\n/g, "⏎"), false);
  return flat.length > MAX_VALUE ? `${flat.slice(0, MAX_VALUE)}… (${flat.length} chars)` : flat;
}

/**
 * A code span that holds any text: a fence longer than any backtick run
 * inside; in a table cell, pipes escaped (GitHub splits cells on them even
 * inside code spans).
 *
 * @example
 * code("a`b|c", true) // "`` a`b\\|c ``"
 */
export function code(raw: string, cell = false): string {
  // On one line whatever it holds (a CR, a line separator or a line feed would end a table row), controls shown.
  const text = printable(raw.replace(/\r?\n/g, "⏎"), false);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = "`".repeat(longest + 1);
  const body = cell ? text.replace(/\|/g, "\\|") : text;
  return longest || /^\s|\s$/.test(body) ? `${fence} ${body} ${fence}` : `${fence}${body}${fence}`;
}

const byHost = <T extends { host: string }>(items: T[]) => {
  const m = new Map<string, T[]>();
  for (const i of items) m.set(i.host, [...(m.get(i.host) ?? []), i]);
  return [...m].sort(([a], [b]) => a.localeCompare(b));
};

function summaryLine(r: DriftReport): string {
  const hosts = Object.values(r.hosts).filter((h) => h.drifted > 0).length;
  const resources = new Set(r.drift.map((i) => `${i.host} ${i.resource}`)).size;
  const parts = [
    r.drift.length ? `${resources} resource${resources === 1 ? "" : "s"} drifted on ${hosts} host${hosts === 1 ? "" : "s"}` : "no drift",
    r.pending.length ? `${r.pending.length} pending` : "",
    r.unknown.length ? `${r.unknown.length} unknown` : "",
    r.ignored.length ? `${r.ignored.length} ignored` : "",
    r.errors.length ? `${r.errors.length} error${r.errors.length === 1 ? "" : "s"}` : "",
  ].filter(Boolean);
  return parts.join(", ");
}

const showItem = (i: DriftItem) =>
  i.sensitive ? `${i.field}: changed (sensitive, values hidden)` : `${i.field}: declared ${oneLine(i.declared)}, found ${oneLine(i.found)}`;

/**
 * The report as text: a headline, then per host each drifted resource with its task.
 *
 * @example
 * process.stdout.write(formatText(report))
 */
export function formatText(r: DriftReport): string {
  const out = [`${r.status.toUpperCase()}: ${summaryLine(r)} (${r.playbook}${r.inventory ? ` -i ${r.inventory}` : ""})`];
  const section = (title: string, items: DriftItem[], extra: (i: DriftItem) => string = () => "") => {
    if (!items.length) return;
    out.push("", `${title}:`);
    for (const [host, list] of byHost(items)) {
      out.push(`  ${host}`);
      for (const i of list) out.push(`    ${oneLine(i.resource)}  ${showItem(i)}  [${i.where} ${JSON.stringify(i.task)}]${extra(i)}`);
    }
  };
  section("drift", r.drift, (i) => (i.runs && i.runs > 1 ? ` (${i.runs} runs)` : ""));
  section("pending (not yet drifted long enough to alert)", r.pending, (i) => ` (${i.runs} run${i.runs === 1 ? "" : "s"})`);
  section("ignored", r.ignored, (i) => ` by ${i.rule}`);
  if (r.unknown.length) {
    out.push("", "unknown (check mode cannot know before an earlier change is applied):");
    for (const u of r.unknown) out.push(`  ${u.host}  [${u.where} ${JSON.stringify(u.task)}] ${oneLine(u.reason)}`);
  }
  if (r.errors.length) {
    out.push("", "errors:");
    for (const e of r.errors) out.push(`  ${e.host} ${e.status}  [${e.where} ${JSON.stringify(e.task)}] ${oneLine(e.msg)}`);
  }
  // Lines are the report's own: no control character from a host reaches the terminal or the journal.
  return printable(out.join("\n")) + "\n";
}

/** GitHub refuses issue bodies over 65,536 characters: rows beyond this are summarised. */
const MAX_ROWS = 200;

/**
 * The report as GitHub-flavoured Markdown (the body of a drift issue, without its marker).
 *
 * @example
 * formatMarkdown(report) // "### Drift: 1 resource drifted on 1 host\n…"
 */
export function formatMarkdown(r: DriftReport): string {
  const out = [
    `### ${r.status === "clean" ? "No drift" : r.status === "drift" ? "Drift" : "Drift check failed"}: ${summaryLine(r)}`,
    "",
    `Playbook ${code(r.playbook)}${r.inventory ? `, inventory ${code(r.inventory)}` : ""}; checked ${r.started_at} in ${(r.duration_ms / 1000).toFixed(2)} s.`,
  ];
  const table = (title: string, items: DriftItem[], extra?: [string, (i: DriftItem) => string]) => {
    if (!items.length) return;
    out.push(
      "",
      `#### ${title}`,
      "",
      `| Host | Resource | Field | Declared | Found | Task |${extra ? ` ${extra[0]} |` : ""}`,
      `|---|---|---|---|---|---|${extra ? "---|" : ""}`,
    );
    for (const i of items.slice(0, MAX_ROWS)) {
      const cell = (t: string) => code(t, true);
      const [declared, found] = i.sensitive ? ["(sensitive)", "(sensitive)"] : [cell(oneLine(i.declared)), cell(oneLine(i.found))];
      out.push(
        `| ${cell(i.host)} | ${cell(i.resource)} | ${cell(i.field)} | ${declared} | ${found} | ${cell(i.task)} at ${cell(i.where)} |${extra ? ` ${extra[1](i)} |` : ""}`,
      );
    }
    if (items.length > MAX_ROWS) out.push("", `… and ${items.length - MAX_ROWS} more.`);
  };
  table("Drifted", r.drift, ["Runs", (i) => String(i.runs ?? 1)]);
  table("Pending", r.pending, ["Runs", (i) => String(i.runs ?? 1)]);
  table("Ignored", r.ignored, ["Rule", (i) => code(i.rule ?? "", true)]);
  const places = (title: string, rows: { host: string; task: string; where: string; text: string }[]) => {
    if (!rows.length) return;
    out.push("", `#### ${title}`, "");
    for (const p of rows.slice(0, MAX_ROWS)) out.push(`- ${code(p.host)} ${code(p.task)} at ${code(p.where)}: ${code(oneLine(p.text))}`);
    if (rows.length > MAX_ROWS) out.push(`- … and ${rows.length - MAX_ROWS} more.`);
  };
  places(
    "Unknown (check mode cannot know before an earlier change is applied)",
    r.unknown.map((u) => ({ ...u, text: u.reason })),
  );
  places(
    "Errors",
    r.errors.map((e) => ({ ...e, text: `${e.status}: ${e.msg}` })),
  );
  return out.join("\n") + "\n";
}

/**
 * Drift history as text: one line per span of drift.
 *
 * @example
 * formatSpans(driftSpans(reports)) // "node1  unit:nginx.service state  since 2026-12-02T04:00:00.000Z (3 runs)\n"
 */
export function formatSpans(spans: DriftSpan[]): string {
  if (!spans.length) return "no drift recorded\n";
  return (
    spans
      .map((s) => `${s.host}  ${s.resource} ${s.field}  ${s.to ? `from ${s.from} to ${s.to}` : `since ${s.from}`} (${s.runs} run${s.runs === 1 ? "" : "s"})`)
      .join("\n") + "\n"
  );
}
