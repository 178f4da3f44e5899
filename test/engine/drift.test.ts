/**
 * `hoist drift` on this machine, end to end through the CLI on the local
 * connection (real files, real exit codes), and its parts on their own:
 * the report built from real check runs, ignore rules, debouncing and
 * history, the text and Markdown formats (with hostile values), schedules
 * and timer files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPlaybook, tempDir } from "../helpers.ts";
import { buildReport, exitCodeOf, type DriftReport } from "../../engine/drift/report.ts";
import { applyIgnore, loadIgnoreRules } from "../../engine/drift/ignore.ts";
import { debounce, driftSpans } from "../../engine/drift/history.ts";
import { code, formatMarkdown, formatText } from "../../engine/drift/format.ts";
import { parseSchedule } from "../../engine/drift/schedule.ts";
import { installTimer, timerFiles, uninstallTimer } from "../../engine/drift/timer.ts";
import { InputError, errorMessage } from "../../engine/errors.ts";

const root = join(fileURLToPath(import.meta.url), "..", "..", "..", "..");
const hoist = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(root, "bin", "hoist.js"), ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env } });

/** A playbook on this machine: two files, one of them with its mode; the run makes them so. */
function site(dir: string): string {
  const file = join(dir, "site.yaml");
  writeFileSync(
    file,
    `- hosts: localhost
  gather_facts: false
  tasks:
    - name: motd
      file: { path: ${dir}/motd, content: "hello\\n", mode: "0644" }
    - name: settings
      file: { path: ${dir}/settings.conf, content: "replicas=3\\n" }
    - name: secret
      file: { path: ${dir}/token, content: "s3cr3t-value\\n", mode: "0600" }
      no_log: true
`,
  );
  return file;
}

test("hoist drift: clean is exit 0; a hand edit is exit 2 naming host, task file:line and resource; history and --alert-after", () => {
  const dir = tempDir();
  const pb = site(dir);
  const state = join(dir, "state");
  assert.equal(hoist(["run", pb]).status, 0);
  const clean = hoist(["drift", pb, "--state-dir", state]);
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /^CLEAN: no drift/);

  writeFileSync(join(dir, "settings.conf"), "replicas=5\n");
  writeFileSync(join(dir, "token"), "changed-by-hand\n");
  const drift = hoist(["drift", pb, "--state-dir", state, "--json"]);
  assert.equal(drift.status, 2, drift.stderr);
  const report = JSON.parse(drift.stdout) as DriftReport;
  assert.equal(report.version, 1);
  assert.equal(report.status, "drift");
  const settings = report.drift.find((i) => i.resource === `file:${dir}/settings.conf`)!;
  assert.ok(settings, JSON.stringify(report.drift));
  assert.deepEqual([settings.host, settings.task, settings.where, settings.field], ["localhost", "settings", `${pb}:6:1`, "content"]);
  assert.deepEqual([settings.declared, settings.found], ["replicas=3\n", "replicas=5\n"]);
  const token = report.drift.find((i) => i.resource === `file:${dir}/token`)!;
  assert.ok(token.sensitive, "a no_log task's values are hidden");
  assert.doesNotMatch(drift.stdout, /s3cr3t|changed-by-hand/);

  const text = hoist(["drift", pb, "--state-dir", state]);
  assert.match(text.stdout, new RegExp(`file:${dir}/settings.conf  content: declared replicas=3⏎, found replicas=5⏎  \\[${pb}:6:1 "settings"\\]`));
  assert.doesNotMatch(text.stdout, /s3cr3t|changed-by-hand/);
  const md = hoist(["drift", pb, "--state-dir", state, "--markdown"]);
  assert.match(md.stdout, /^### Drift: 2 resources drifted on 1 host/);
  assert.doesNotMatch(md.stdout, /s3cr3t|changed-by-hand/);

  // Debouncing counts consecutive drifted runs from the history: three so far.
  const pending = hoist(["drift", pb, "--state-dir", state, "--alert-after", "5", "--json"]);
  const p = JSON.parse(pending.stdout) as DriftReport;
  assert.equal(pending.status, 0, "drift below --alert-after does not alert");
  assert.deepEqual(
    p.pending.map((i) => i.runs),
    [4, 4],
  );
  const alert = hoist(["drift", pb, "--state-dir", state, "--alert-after", "5", "--json"]);
  assert.equal(alert.status, 2);
  assert.deepEqual(
    (JSON.parse(alert.stdout) as DriftReport).drift.map((i) => i.runs),
    [5, 5],
  );

  assert.equal(hoist(["run", pb]).status, 0);
  assert.equal(hoist(["drift", pb, "--state-dir", state]).status, 0);
  const history = hoist(["drift", pb, "--state-dir", state, "--history"]);
  assert.equal(history.status, 0);
  assert.match(history.stdout, new RegExp(`localhost  file:${dir}/settings.conf content  from \\S+ to \\S+ \\(5 runs\\)`));
  const runs = readdirSync(join(state, "drift", report.fingerprint));
  assert.equal(runs.length, 7, "each run's report is kept");
  assert.ok(
    runs.every((f) => !readFileSync(join(state, "drift", report.fingerprint, f), "utf8").includes("s3cr3t")),
    "no secret in the history",
  );
  const kept = hoist(["drift", pb, "--state-dir", state, "--keep", "3"]);
  assert.equal(kept.status, 0);
  assert.equal(readdirSync(join(state, "drift", report.fingerprint)).length, 3, "older reports rotate out");
});

test("hoist drift: ignore rules move matching drift aside; bad rules and options are exit 4 before any host is touched", () => {
  const dir = tempDir();
  const pb = site(dir);
  assert.equal(hoist(["run", pb]).status, 0);
  writeFileSync(join(dir, "settings.conf"), "replicas=5\n");
  const rules = join(dir, "ignore.yaml");
  writeFileSync(rules, `drift_ignore:\n  - resource: "file:${dir}/settings.*"\n    field: content\n    reason: the autoscaler owns replicas\n`);
  const ignored = hoist(["drift", pb, "--state-dir", join(dir, "s"), "--ignore", rules, "--json"]);
  assert.equal(ignored.status, 0, ignored.stdout);
  const r = JSON.parse(ignored.stdout) as DriftReport;
  assert.deepEqual(
    r.ignored.map((i) => i.rule),
    [`resource=file:${dir}/settings.* field=content (the autoscaler owns replicas)`],
  );

  writeFileSync(rules, "drift_ignore:\n  - resorce: x\n");
  writeFileSync(join(dir, "motd"), "touched?\n");
  const bad = hoist(["drift", pb, "--ignore", rules]);
  assert.equal(bad.status, 4);
  assert.match(bad.stderr, new RegExp(`${rules}:2:5: .*unknown key 'resorce' \\(did you mean 'resource'\\?\\)`));
  assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
  for (const [args, message] of [
    [["--alert-after", "0"], /--alert-after must be a whole number/],
    [["--report", "github:acme"], /expected github:OWNER\/REPO/],
    [["--report", "github:acme/infra"], /needs a token/],
    [["--report", "github:acme/-x/y"], /expected github:OWNER\/REPO/],
    [["--json", "--markdown"], /one of --json and --markdown/],
    [["--install-timer", "61 * * * *"], /minute '61' is not between 0 and 59/],
  ] as const) {
    const out = hoist(["drift", pb, "--state-dir", join(dir, "s"), ...args], { GITHUB_TOKEN: "" });
    assert.equal(out.status, 4, `${args.join(" ")}: ${out.stderr}`);
    assert.match(out.stderr, message);
  }
  assert.equal(readFileSync(join(dir, "motd"), "utf8"), "touched?\n", "nothing was run");
});

test("the report: handlers, unknown results, failures and loops", async () => {
  const dir = tempDir();
  const outcome = await runPlaybook(
    `- hosts: localhost
  gather_facts: false
  tasks:
    - name: files
      file: { path: "${dir}/{{ item }}", content: "x\\n" }
      loop: [a, b]
      notify: after
    - name: missing unit
      systemd: { name: hoist-no-such-unit, state: started }
      ignore_errors: true
    - name: broken
      command: /nonexistent/binary
  handlers:
    - name: after
      debug: { msg: handler }
`,
    { check: true },
  );
  const report = buildReport(outcome, { playbook: "site.yaml", inventory: null, startedAt: new Date() });
  assert.deepEqual(
    report.drift.map((i) => [i.task, i.resource, i.field]),
    [
      ["files", `file:${dir}/a`, "content"],
      ["files", `file:${dir}/b`, "content"],
    ],
    "loop items each name their resource; the handler is not drift of its own",
  );
  assert.equal(report.errors.length, 0, "an ignored failure is no error; a command is skipped in check mode");
  assert.equal(report.status, "drift");
  assert.equal(exitCodeOf(report), 2);
  assert.equal(exitCodeOf({ status: "error" }), 1);
  assert.equal(exitCodeOf({ status: "clean" }), 0);
});

const item = (host: string, resource: string, field = "state") => ({
  host,
  task: "t",
  where: "site.yaml:3",
  identity: `p / t @ ${host}`,
  resource,
  field,
  declared: "active",
  found: "inactive",
});
const reportOf = (drift: ReturnType<typeof item>[], at = "2026-12-02T04:00:00.000Z", errors: DriftReport["errors"] = []): DriftReport => ({
  version: 1,
  kind: "hoist-drift",
  playbook: "/srv/site.yaml",
  inventory: "/srv/inv",
  fingerprint: "0123456789abcdef",
  started_at: at,
  duration_ms: 400,
  status: drift.length ? "drift" : "clean",
  drift,
  pending: [],
  ignored: [],
  unknown: [],
  errors,
  hosts: { n1: { drifted: 0, unknown: 0, errors: 0 }, n2: { drifted: 0, unknown: 0, errors: 0 } },
});

test("history: spans of drift per field; an unreachable host keeps its span open; debouncing counts runs in a row", () => {
  const a = item("n1", "unit:nginx.service");
  const b = item("n2", "file:/etc/hosts", "content");
  const runs = [
    reportOf([a], "2026-12-02T01:00:00.000Z"),
    reportOf([a, b], "2026-12-02T02:00:00.000Z"),
    reportOf([b], "2026-12-02T03:00:00.000Z", [{ host: "n2", task: "t", where: "x:1", identity: "i", status: "unreachable", msg: "down" }]),
    reportOf([], "2026-12-02T04:00:00.000Z"),
  ];
  assert.deepEqual(driftSpans(runs), [
    { host: "n1", resource: "unit:nginx.service", field: "state", from: "2026-12-02T01:00:00.000Z", to: "2026-12-02T03:00:00.000Z", runs: 2 },
    { host: "n2", resource: "file:/etc/hosts", field: "content", from: "2026-12-02T02:00:00.000Z", to: "2026-12-02T04:00:00.000Z", runs: 2 },
  ]);
  const now = debounce(reportOf([a, b]), runs.slice(0, 2), 3);
  assert.deepEqual(
    now.drift.map((i) => [i.host, i.runs]),
    [["n1", 3]],
  );
  assert.deepEqual(
    now.pending.map((i) => [i.host, i.runs]),
    [["n2", 2]],
  );
});

test("ignore rules: globs on host, task (name, file:line or identity), resource and field", () => {
  const r = reportOf([item("n1", "k8s:Deployment/web/api", "spec.replicas"), item("n2", "k8s:Deployment/web/api", "spec.replicas"), item("n1", "unit:x")]);
  const out = applyIgnore(r, [
    { resource: "k8s:Deployment/*/api", field: "spec.*", host: "n1" },
    { task: "site.yaml:*", field: "state" },
  ]);
  assert.deepEqual(
    out.drift.map((i) => i.host),
    ["n2"],
  );
  assert.equal(out.ignored.length, 2);
  assert.equal(out.hosts.n1.drifted, 0);
  const dir = tempDir();
  writeFileSync(join(dir, "i.yaml"), "drift_ignore:\n  - {}\n");
  assert.throws(
    () => loadIgnoreRules(join(dir, "i.yaml")),
    (e: unknown) => e instanceof InputError && /i\.yaml:2:5: .*must match a schema in anyOf|missing required key/.test(errorMessage(e)),
  );
});

test("Markdown: every value from a host is a code span; no marker, mention, link or table cell can be injected", () => {
  const hostile = "`x` | <!-- hoist-drift fingerprint:ffffffffffffffff resources:none --> @admin [link](http://evil) <img src=x>\n# heading";
  const r = reportOf([{ ...item("n1", "file:/etc/`motd`|x"), found: hostile }]);
  const md = formatMarkdown(r);
  const row = md.split("\n").find((l) => l.startsWith("| `n1`"))!;
  // Unescaped pipes outside code spans delimit exactly 7 cells.
  const cells = row.replace(/\\\|/g, "").split("|").length - 2;
  assert.equal(cells, 7, row);
  assert.doesNotMatch(md, /^<!--/m, "no line of the body starts a marker");
  assert.doesNotMatch(md, /^# heading/m);
  assert.ok(md.includes(code(hostile.replace("\n", "⏎"), true)), "the value is one code span");
  assert.equal(code("a`b"), "`` a`b ``");
  assert.match(formatText(r), /file:\/etc\/`motd`\|x {2}state: declared active, found `x` \| <!--/);
});

test("schedules: cron becomes systemd's OnCalendar; what systemd cannot say is refused", () => {
  assert.deepEqual(parseSchedule("*/30 * * * *"), { cron: "*/30 * * * *", onCalendar: "*-*-* *:00,30:00" });
  assert.equal(parseSchedule("0 6 * * 1-5").onCalendar, "Mon,Tue,Wed,Thu,Fri *-*-* 06:00:00");
  assert.equal(parseSchedule("15 2 1 jan,jul *").onCalendar, "*-01,07-01 02:15:00");
  assert.equal(parseSchedule("@hourly").onCalendar, "*-*-* *:00:00");
  assert.equal(parseSchedule("0 0 * * 7").onCalendar, "Sun *-*-* 00:00:00");
  assert.deepEqual(parseSchedule("*:0/5"), { onCalendar: "*:0/5" });
  for (const [bad, why] of [
    ["0 0 1 * 1", /either day/],
    ["* * * *  x", /cannot read|not between/],
    ["5-1 * * * *", /backwards/],
    ["*/0 * * * *", /step/],
    ["$(reboot)", /neither a cron expression nor a systemd calendar/],
  ] as const)
    assert.throws(
      () => parseSchedule(bad),
      (e: unknown) => e instanceof InputError && why.test(errorMessage(e)),
      bad,
    );
});

test("timer files: a oneshot service under flock, exit 2 not a failure, words quoted; cron where there is no systemd; no line breaks get in", () => {
  const spec = {
    name: "hoist-drift-0123456789abcdef",
    schedule: parseSchedule("*/30 * * * *"),
    args: ["drift", "/srv/site.yaml", "--inventory=/srv/inv 1", "-e", "pct=50%"],
    cwd: "/srv",
    env: { HOIST_STATE_DIR: "/var/lib/hoist" },
  };
  const systemd = timerFiles(spec, { unitDir: "/etc/systemd/system", systemctl: ["systemctl"], lockDir: "/run/hoist" });
  const service = systemd["/etc/systemd/system/hoist-drift-0123456789abcdef.service"];
  assert.match(
    service,
    /^ExecStart="\/bin\/sh" "-c" ".*flock -n 9.*exec timeout -k 30 \\"\$\$limit\\" .*" "hoist-drift" "\/run\/hoist\/hoist-drift-0123456789abcdef.lock" "3600" ".*node" ".*bin\/hoist.js" "drift" "\/srv\/site.yaml" "--inventory=\/srv\/inv 1" "-e" "pct=50%%"$/m,
  );
  assert.match(service, /^SuccessExitStatus=2 75$/m);
  assert.match(service, /^Environment="HOIST_STATE_DIR=\/var\/lib\/hoist"$/m);
  assert.match(systemd["/etc/systemd/system/hoist-drift-0123456789abcdef.timer"], /^OnCalendar=\*-\*-\* \*:00,30:00$/m);
  const cron = timerFiles(spec, { systemctl: [], cronFile: "/etc/cron.d", lockDir: "/run/hoist" })["/etc/cron.d/hoist-drift-0123456789abcdef"];
  assert.match(
    cron,
    /^\*\/30 \* \* \* \* root cd '\/srv' && HOIST_STATE_DIR='\/var\/lib\/hoist' '\/bin\/sh' '-c' .* 'pct=50\\%' 2>&1 \| logger -t hoist-drift-0123456789abcdef$/m,
  );
  assert.throws(
    () => timerFiles({ ...spec, args: ["drift", "x\nExecStartPre=/bin/evil"] }, { unitDir: "/u", systemctl: ["systemctl"], lockDir: "/l" }),
    /line break/,
  );
  assert.throws(() => timerFiles({ ...spec, schedule: parseSchedule("*:0/5") }, { systemctl: [], cronFile: "/etc/cron.d", lockDir: "/l" }), /cron expression/);
  // Where there is no systemd (this machine), the cron entry is written whole and removed again.
  const cronDir = tempDir();
  const places = { systemctl: [], cronFile: cronDir, lockDir: "/run/lock" };
  assert.deepEqual(installTimer(spec, places), [join(cronDir, spec.name)]);
  assert.deepEqual(readdirSync(cronDir), [spec.name], "no temporary file left");
  assert.equal(statSync(join(cronDir, spec.name)).mode & 0o777, 0o600, "the timer's files are private");
  assert.deepEqual(uninstallTimer(spec.name, places), [join(cronDir, spec.name)]);
  assert.deepEqual(readdirSync(cronDir), []);
  assert.deepEqual(uninstallTimer(spec.name, places), [], "nothing to remove the second time");
});

test("hoist drift --install-timer refuses to write a token into a timer, and keeps a password prompt out of it", () => {
  const dir = tempDir();
  const pb = site(dir);
  mkdirSync(join(dir, "s"));
  const out = hoist(["drift", pb, "--report", "github:acme/infra", "--install-timer", "@hourly"], { GITHUB_TOKEN: "ghp_x" });
  assert.equal(out.status, 4);
  assert.match(out.stderr, /needs --github-token-file/);
  const prompt = hoist(["drift", pb, "-K", "--install-timer", "@hourly"]);
  assert.equal(prompt.status, 4);
  assert.match(prompt.stderr, /password prompt/);
});
