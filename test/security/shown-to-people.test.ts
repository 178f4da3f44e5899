/**
 * What hosts say, on its way to people (the third hostile round): values in
 * a GitHub issue stay inside their code spans and table cells whatever they
 * hold (CR, line separators, backticks, pipes, a cut body), the terminal and
 * the journal get no control sequence (OSC 52, window titles, erase-line, a
 * forged result line), and a flood of output is cut into commands in
 * linear time with what is kept bounded. Families of inputs, tallied.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { code, formatMarkdown, formatText } from "../../engine/drift/format.ts";
import { TextReporter } from "../../engine/report/report.ts";
import { MarkedOutput } from "../../engine/connection/marked-output.ts";
import type { DriftReport } from "../../engine/drift/report.ts";
import type { Task } from "../../engine/load/playbook.ts";
import type { TaskResult } from "../../engine/outcome/result.ts";
import { tally } from "./tally.ts";

/** What hosts may put in a value to break out of where it is shown. */
const HOSTILE = [
  "a\rb | @everyone ![x](http://e/x.png) [l](http://e)",
  "a\nb\n| c | d |",
  "a\u2028@mention\u2029b",
  "a\u0085b\u000bc\u000cd",
  "```\n@org/team\n```",
  "` `` ``` `|`",
  "x\x1b]52;c;ZXZpbA==\x07y",
  "\x1b]0;pwned\x07title",
  "\x1b[2K\rok: [node1] forged",
  "\u202eevil\u202c",
  "<img src=x onerror=alert(1)>",
  "trailing backslash \\",
  "\\|",
];

const report = (values: string[]): DriftReport => ({
  version: 1,
  kind: "hoist-drift",
  playbook: "/srv/site.yaml",
  inventory: "/srv/prod",
  fingerprint: "0123456789abcdef",
  started_at: "2026-12-03T06:00:00.000Z",
  duration_ms: 1,
  status: "drift",
  drift: values.map((v, i) => ({
    host: `n${i}`,
    task: "t",
    where: "site.yaml:1:1",
    identity: "i",
    resource: `k8s:ConfigMap/default/${v}`,
    field: "data",
    declared: "x",
    found: v,
  })),
  pending: [],
  ignored: [],
  unknown: [],
  errors: [],
  hosts: {},
});

/** The text outside every code span of a Markdown line (spans closed on their line, as GitHub reads them). */
function outsideSpans(line: string): string | undefined {
  let out = "";
  let i = 0;
  while (i < line.length) {
    if (line[i] !== "`") {
      out += line[i++];
      continue;
    }
    const fence = /^`+/.exec(line.slice(i))![0];
    const end = line.indexOf(fence, i + fence.length);
    // A span must close with a run of exactly its fence's length.
    let close = end;
    while (close >= 0 && (line[close + fence.length] === "`" || line[close - 1] === "`")) close = line.indexOf(fence, close + 1);
    if (close < 0) return undefined;
    i = close + fence.length;
  }
  return out;
}

test("GitHub issue: every hostile value stays in its code span and its table cell", () => {
  const md = formatMarkdown(report(HOSTILE));
  let held = 0;
  const rows = md.split("\n").filter((l) => l.startsWith("| `n"));
  for (const [i, row] of rows.entries()) {
    const outside = outsideSpans(row);
    // Outside the spans: only the table's own pipes, " at " and the count of runs; cells as many as the header's.
    const cells = outside?.match(/(?<!\\)\|/g)?.length;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters looked for
    const ok = outside !== undefined && /^[| at0-9]*$/.test(outside) && cells === 8 && !/[\r\u2028\u2029\u0085\x1b]/.test(row);
    if (ok) held++;
    else console.log(`row ${i} escapes: ${JSON.stringify(row)}`);
  }
  assert.equal(rows.length, HOSTILE.length, "one row per value: no value ended its row");
  tally("host values escaping a GitHub issue's table", HOSTILE.length, held);
  assert.equal(held, HOSTILE.length);
  for (const v of HOSTILE) assert.ok(outsideSpans(code(v)) === "", `code(${JSON.stringify(v)})`);
});

test("GitHub issue: a body cut at GitHub's limit leaves no code span open", async () => {
  const { reportToGitHub } = await import("../../engine/drift/github.ts");
  const { startIssueServer } = await import("../github/issue-server.ts");
  const gh = await startIssueServer("acme", "infra");
  try {
    const many = Array.from({ length: 3000 }, (_, i) => `${"`".repeat(i % 7)}value ${i} ${"x".repeat(i % 50)}`);
    const made = await reportToGitHub(report(many), { owner: "acme", repo: "infra", token: gh.token, baseUrl: gh.url }, { retryAfterBaseValue: 1 });
    const body = gh.issues.get(made.number!)!.body!;
    assert.ok(body.length <= 65_536, `${body.length} characters`);
    assert.match(body, /… \(cut: the full report is in `hoist drift --json`\)/);
    assert.match(body, /<!-- resources\n[\s\S]*\n-->\n$/, "the list of resources survives the cut");
    // What GitHub renders: the body without its HTML comments (the marker, the resource list).
    const shown = body.replace(/<!--[\s\S]*?-->/g, "");
    const open = shown.split("\n").filter((l) => outsideSpans(l) === undefined);
    assert.deepEqual(open, [], "every line's spans are closed");
  } finally {
    await gh.close();
  }
  tally("GitHub bodies cut with a code span open", 1, 1);
});

test("terminal and journal: no control sequence from a host reaches them, and no line can pass for a result", () => {
  let out = "";
  const reporter = new TextReporter({ diff: true, verbose: true, color: false, write: (t) => (out += t) });
  const task = { name: "read", diff: true, noLog: false } as unknown as Task;
  for (const v of HOSTILE) {
    const result: TaskResult = {
      status: "ok",
      changed: false,
      msg: v,
      changes: [{ resource: "file:/x", field: "content", before: v, after: "y" }],
      values: { msg: v },
      durationMs: 1,
    };
    reporter.result(task, "node2", result, "task");
  }
  out += formatText(report(HOSTILE));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the characters looked for
  const controls = out.match(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]/g) ?? [];
  assert.deepEqual(controls, [], "no control character reaches the terminal");
  assert.doesNotMatch(out, /^ok: \[node1\] forged/m, "no line from a host starts like a result line");
  tally("control sequences reaching a terminal", HOSTILE.length, HOSTILE.length - (controls.length ? 1 : 0));
});

test("a flood of output: every byte scanned once, the marker found across any split, what is kept bounded and the rest counted", () => {
  const marker = "__hoist_abcdef_7:";
  let held = 0;
  // The marker split at every position between two chunks.
  const text = `line one\nline two${marker}0\n`;
  for (let cut = 0; cut <= text.length; cut++) {
    const out = new MarkedOutput(1 << 20);
    out.push(Buffer.from(text.slice(0, cut)));
    const early = out.take(marker, true);
    out.push(Buffer.from(text.slice(cut)));
    const done = early ?? out.take(marker, true);
    if (done?.text === "line one\nline two" && done.tail === "0" && done.droppedBytes === 0) held++;
  }
  assert.equal(held, text.length + 1);
  // 100 MB in 64 KiB chunks, scanned as they come: kept at the cap, the rest counted.
  const out = new MarkedOutput(1 << 20);
  const chunk = Buffer.alloc(64 << 10, "a");
  const started = process.hrtime.bigint();
  let done: ReturnType<MarkedOutput["take"]>;
  for (let n = 0; n < 1600; n++) {
    out.push(chunk);
    done = out.take(marker, true);
  }
  out.push(Buffer.from(`${marker}3\n`));
  done = out.take(marker, true);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.equal(done?.text.length, 1 << 20);
  assert.equal(done?.droppedBytes, 1600 * (64 << 10) - (1 << 20));
  assert.equal(done?.tail, "3");
  console.log(`flood: 100 MB scanned in ${ms.toFixed(0)} ms`);
  assert.ok(ms < 5000, `a linear scan of 100 MB took ${ms} ms`);
  tally("output floods cut wrongly or kept whole", held + 1, held + 1);
});
