/**
 * The third hostile round, on the control machine: what it reads (an
 * ansible.cfg someone else planted, caches in directories others can write),
 * what it keeps (private files, a timer's secrets, the fact cache), drift
 * alerts that must never be lost or doubled, and the command line's bounds.
 * Each test reproduces an item of the review and prints its figures.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadSettings } from "../../engine/load/settings.ts";
import { DEFAULT_ROLES_PATH } from "../../engine/load/roles.ts";
import { privateDir, trustedDir, writePrivateFile } from "../../engine/host/private-file.ts";
import { debounce } from "../../engine/drift/history.ts";
import { parseSchedule } from "../../engine/drift/schedule.ts";
import { timerFiles } from "../../engine/drift/timer.ts";
import { globMatcher } from "../../engine/drift/glob.ts";
import { Redactor } from "../../engine/report/redact.ts";
import { labSwapFiles } from "../../lab/lab.ts";
import { reportToGitHub } from "../../engine/drift/github.ts";
import { startIssueServer } from "../github/issue-server.ts";
import type { DriftReport } from "../../engine/drift/report.ts";
import { hoistCli, runPlaybook, tempDir } from "../helpers.ts";
import { tally } from "./tally.ts";

const root = process.getuid?.() === 0;

test("an ansible.cfg in a world-writable working directory is ignored, as Ansible does (CVE-2018-10875)", async () => {
  const dir = tempDir();
  writeFileSync(join(dir, "ansible.cfg"), "[defaults]\nroles_path = /planted/roles\n");
  chmodSync(dir, 0o777);
  const planted = await loadSettings({}, dir);
  assert.deepEqual(planted.rolesPath, DEFAULT_ROLES_PATH);
  assert.match(String(planted.ignored), /world-writable/);
  chmodSync(dir, 0o755);
  assert.deepEqual((await loadSettings({}, dir)).rolesPath, ["/planted/roles"], "the same file in a directory of one's own is read");
  tally("planted ansible.cfg honoured", 1, 1);
});

test("private files: written whole, never through what is planted; directories others can write are refused or not trusted", () => {
  const dir = join(tempDir(), "cache");
  writePrivateFile(join(dir, "node1"), "{}");
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, "node1")).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ["node1"], "no temporary file left");
  // A link planted where the old code wrote its temporary file: never followed.
  const victim = join(tempDir(), "victim");
  writeFileSync(victim, "untouched");
  symlinkSync(victim, join(dir, `node2.${process.pid}.tmp`));
  writePrivateFile(join(dir, "node2"), "{}");
  assert.equal(readFileSync(victim, "utf8"), "untouched");
  let held = 2;
  // Our own directory left open is closed; a link or someone else's directory is refused, and not trusted.
  chmodSync(dir, 0o777);
  assert.ok(!trustedDir(dir));
  privateDir(dir);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const link = join(tempDir(), "link");
  symlinkSync(dir, link);
  assert.throws(() => privateDir(link), /not a directory/);
  held += 2;
  if (root) {
    const theirs = join(tempDir(), "theirs");
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, 65534, 65534);
    assert.throws(() => privateDir(theirs), /belongs to uid 65534/);
    assert.ok(!trustedDir(theirs));
    held += 1;
  }
  tally("control-machine files written through or trusted from others' directories", held, held);
});

test("the fact cache: facts planted in a directory others can write are not taken; a partial gathering is not taken as whole; a cache that cannot be written does not fail gathering", async () => {
  const dir = tempDir();
  const open = join(dir, "open");
  mkdirSync(open, { mode: 0o777 });
  chmodSync(open, 0o777);
  writeFileSync(join(open, "localhost"), JSON.stringify({ hostname: "planted", fqdn: "planted" }));
  const show =
    "- hosts: localhost\n  tasks:\n    - { name: show, debug: { msg: \"{{ ansible_hostname }} {{ ansible_default_ipv4.address | default('none') }}\" } }\n";
  const planted = await runPlaybook(show, { factCache: { dir: open, timeoutS: 0 } });
  assert.doesNotMatch(String(planted.byTask("show").msg), /planted/);
  // A play that gathers one subset, then one that reads the rest: the cache's part is not the whole.
  const cache = join(dir, "cache");
  const partial = await runPlaybook(
    '- hosts: localhost\n  gather_facts: true\n  gather_subset: [min]\n  tasks:\n    - { name: min, debug: { msg: "{{ ansible_hostname }}" } }\n',
    {
      factCache: { dir: cache, timeoutS: 0 },
    },
  );
  assert.equal(partial.byTask("min").status, "ok");
  const whole = await runPlaybook('- hosts: localhost\n  tasks:\n    - { name: net, debug: { msg: "{{ ansible_default_ipv4 is defined }}" } }\n', {
    factCache: { dir: cache, timeoutS: 0 },
  });
  assert.equal(whole.byTask("net").status, "ok", whole.byTask("net").msg as string);
  // The cache's place is a file: gathering still works (the cache is skipped, with a warning).
  const blocked = join(dir, "blocked");
  writeFileSync(blocked, "");
  const unwritable = await runPlaybook(show, { factCache: { dir: join(blocked, "sub"), timeoutS: 0 } });
  assert.equal(unwritable.byTask("show").status, "ok", unwritable.byTask("show").msg as string);
  tally("fact cache taken wrongly or failing the run", 3, 3);
});

const drift = (extra: string[], env: Record<string, string> = {}) => {
  const dir = tempDir();
  const pb = join(dir, "site.yaml");
  writeFileSync(pb, `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - { name: flag, file: { path: ${dir}/flag, content: "on\\n" } }\n`);
  return { dir, pb, run: (more: string[] = []) => hoistCli(["drift", pb, "--state-dir", join(dir, "state"), ...extra, ...more], env) };
};

test("drift's command line: bad counts, a state directory that is no directory, contradictory timer options and unsafe GitHub settings are refused before any host is touched", async () => {
  const dir = tempDir();
  const file = join(dir, "not-a-dir");
  writeFileSync(file, "");
  const token = join(dir, "token");
  writeFileSync(token, "ghp_filetoken\n", { mode: 0o644 });
  chmodSync(token, 0o644);
  const cases: [string[], RegExp][] = [
    [["--keep", "1", "--alert-after", "3"], /--keep 1 is fewer than --alert-after 3/],
    [["--keep", "0x10"], /--keep must be a whole number/],
    [["--alert-after", "1e20"], /--alert-after must be a whole number/],
    [["--state-dir", file], /--state-dir: .*not-a-dir/],
    [["--state-dir", "/proc/hoist-x"], /--state-dir: /],
    [["--install-timer", "@hourly", "--uninstall-timer"], /give one of --install-timer and --uninstall-timer/],
    [["--report", "github:acme/infra", "--github-url", "http://github.example/api"], /clear text/],
    [["--report", "github:acme/infra", "--github-url", "https://me:hunter2@github.example/api"], /no credentials in the URL/],
    [["--report", "github:acme/infra", "--github-token-file", token], /readable by others \(mode 0644\)/],
  ];
  let held = 0;
  for (const [args, expected] of cases) {
    const { run } = drift([]);
    // A later --state-dir replaces the one drift() gives.
    const r = await run(args);
    const ok = r.status === 4 && expected.test(r.stderr) && !/PLAY/.test(r.stdout) && !/hunter2/.test(r.stdout + r.stderr) && r.ms < 10_000;
    if (!ok) console.log(`not refused as expected: ${args.join(" ")}: exit ${r.status} in ${r.ms} ms: ${r.stderr.trim()}`);
    if (ok) held++;
  }
  tally("drift options refused before any host", cases.length, held);
  assert.equal(held, cases.length);
});

test("schedules that never fire are refused; a working directory keeps its %", () => {
  for (const never of ["0 0 30 2 *", "0 0 31 4,6,9,11 *"]) assert.throws(() => parseSchedule(never), /never fires/);
  assert.ok(parseSchedule("0 0 31 1,4 *").onCalendar);
  const files = timerFiles(
    { name: "hoist-drift-0123456789abcdef", schedule: parseSchedule("@hourly"), args: ["drift"], cwd: "/srv/100%", env: {} },
    { unitDir: "/u", systemctl: [], lockDir: "/run/hoist" },
  );
  assert.match(files["/u/hoist-drift-0123456789abcdef.service"], /^WorkingDirectory=\/srv\/100%%$/m);
  tally("timers that never fire or run elsewhere", 3, 3);
});

const report = (drifted: string[], errors: string[] = []): DriftReport => ({
  version: 1,
  kind: "hoist-drift",
  playbook: "/srv/site.yaml",
  inventory: "/srv/prod",
  fingerprint: "0123456789abcdef",
  started_at: new Date().toISOString(),
  duration_ms: 1,
  status: errors.length ? "error" : drifted.length ? "drift" : "clean",
  drift: drifted.map((host) => ({
    host,
    task: "t",
    where: "x:1:1",
    identity: "i",
    resource: "unit:a.service",
    field: "state",
    declared: "active",
    found: "inactive",
  })),
  pending: [],
  ignored: [],
  unknown: [],
  errors: errors.map((host) => ({ host, task: "t", where: "x:1:1", identity: "i", status: "unreachable" as const, msg: "timed out" })),
  hosts: {},
});

test("drift alerts: a run where the host was unreachable keeps the streak; a comment GitHub failed is posted by the next run; concurrent runs open one issue", async () => {
  const streak = debounce(report(["n1"]), [report(["n1"]), report(["n1"]), report([], ["n1"])], 3);
  assert.equal(streak.drift.length, 1, "drifted, drifted, unreachable, drifted: three in a row, the unreachable run says nothing");
  assert.equal(streak.drift[0].runs, 3);
  assert.equal(debounce(report(["n1"]), [report(["n1"]), report([]), report(["n1"])], 3).drift.length, 0, "a clean run between ends the streak");
  const gh = await startIssueServer("acme", "infra");
  try {
    const target = { owner: "acme", repo: "infra", token: gh.token, baseUrl: gh.url };
    const fast = { retryAfterBaseValue: 1 };
    const created = await reportToGitHub(report(["n1"]), target, fast);
    const two = report(["n1", "n2"]);
    gh.fail(502, 5, {}, /^POST .*\/comments$/); // every try of the comment (four retries)
    await reportToGitHub(two, target, fast).then(
      () => assert.fail("GitHub failing every request fails the report"),
      () => {},
    );
    const again = await reportToGitHub(two, target, fast);
    assert.equal(again.action, "commented", "the notice a failed comment lost is given by the next run");
    assert.equal(created.number, again.number);
    // Two drift runs at once, three times: one issue.
    let single = 0;
    for (let trial = 0; trial < 3; trial++) {
      const repo = `infra${trial}`;
      const server = await startIssueServer("acme", repo);
      const tokenFile = join(tempDir(), "token");
      writeFileSync(tokenFile, `${server.token}\n`, { mode: 0o600 });
      const { run } = drift(["--report", `github:acme/${repo}`, "--github-url", server.url, "--github-token-file", tokenFile]);
      const runs = await Promise.all([run(), run()]);
      for (const r of runs) assert.equal(r.status, 2, r.stderr);
      if (server.issues.size === 1) single++;
      await server.close();
    }
    tally("concurrent drift runs opening one issue", 3, single);
    assert.equal(single, 3);
  } finally {
    await gh.close();
  }
});

test("GITHUB_TOKEN reaches no command hoist runs, nor the fact cache", async () => {
  const { dir, pb } = drift([]);
  writeFileSync(pb, '- hosts: localhost\n  tasks:\n    - { name: env, debug: { msg: "{{ ansible_env.PATH }}" } }\n');
  const gh = await startIssueServer("acme", "infra");
  try {
    const cache = join(dir, "facts");
    const r = await hoistCli(["drift", pb, "--state-dir", join(dir, "state"), "--report", "github:acme/infra", "--github-url", gh.url, "--json"], {
      GITHUB_TOKEN: gh.token,
      ANSIBLE_CACHE_PLUGIN: "jsonfile",
      ANSIBLE_CACHE_PLUGIN_CONNECTION: cache,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(cache, "localhost")));
    assert.doesNotMatch(readFileSync(join(cache, "localhost"), "utf8"), new RegExp(gh.token), "the token is in the cached ansible_env");
  } finally {
    await gh.close();
  }
  tally("GitHub token reaching hosts or caches", 1, 1);
});

test("a role whose tasks/main.yml is a directory or a link in a loop is an error, not an empty role", async () => {
  let held = 0;
  for (const make of [(f: string) => mkdirSync(f), (f: string) => symlinkSync(f, f)]) {
    const dir = tempDir();
    mkdirSync(join(dir, "roles", "r", "tasks"), { recursive: true });
    make(join(dir, "roles", "r", "tasks", "main.yml"));
    writeFileSync(join(dir, "site.yaml"), "- hosts: localhost\n  roles: [r]\n");
    const r = await hoistCli(["run", join(dir, "site.yaml")], {}, { cwd: dir });
    if (r.status === 4 && /main\.yml is not a file/.test(r.stderr)) held++;
    else console.log(`role part: exit ${r.status}: ${r.stderr}`);
  }
  tally("role parts that are no files", 2, held);
  assert.equal(held, 2);
});

test("lab down: only plain swap files are given to swapoff, never a name a host planted", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "swapfile"), "");
  symlinkSync("/dev/sda1", join(dir, "planted"));
  assert.deepEqual(labSwapFiles([dir]), [join(dir, "swapfile")]);
  tally("planted swap names reaching swapoff", 1, 1);
});

test("passwords in URLs are hidden in every result; ignore globs match in linear time, as picomatch does on ordinary patterns", async () => {
  const r = new Redactor([]);
  assert.equal(r.text("GET https://deploy:s3cret@repo.example/x failed"), "GET https://deploy:(sensitive)@repo.example/x failed");
  const out = await runPlaybook(
    '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - { name: url, debug: { msg: "fetch https://u:pw123456@h.example/f" } }\n',
  );
  assert.doesNotMatch(JSON.stringify(out.results), /pw123456/);
  const started = Date.now();
  assert.ok(!globMatcher("*a*a*a*a*a*a*a*a*a*a*b")("a".repeat(20_000)));
  const ms = Date.now() - started;
  assert.ok(ms < 2000, `a backtracking pattern took ${ms} ms`);
  const picomatch = (await import("picomatch")).default;
  const patterns = ["*", "**", "a/*", "a/**", "a/**/b", "**/b", "k8s:*/*/{api,web}", "site.yaml:1?:*", "[a-c]*", "file:/etc/*.conf", "x\\*y"];
  const texts = [
    "",
    "a",
    "a/b",
    "a/x/b",
    "a/x/y/b",
    "b",
    "k8s:Deployment/prod/api",
    "k8s:Deployment/prod/db",
    "site.yaml:12:7",
    "site.yaml:9:1",
    "cat",
    "dog",
    "file:/etc/a.conf",
    "file:/etc/a/b.conf",
    "x*y",
    "xzy",
  ];
  let agree = 0;
  for (const p of patterns)
    for (const t of texts) {
      if (globMatcher(p)(t) === picomatch(p, { dot: true })(t)) agree++;
      else console.log(`glob: ${p} on '${t}': hoist ${globMatcher(p)(t)}, picomatch ${picomatch(p, { dot: true })(t)}`);
    }
  tally("glob verdicts equal to picomatch's", patterns.length * texts.length, agree);
  assert.equal(agree, patterns.length * texts.length);
});
