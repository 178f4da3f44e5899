/**
 * Drift issues on GitHub through @octokit/rest, against the issue server of
 * test/github (requests and responses checked against GitHub's OpenAPI
 * description, objects from recorded responses): one issue per fingerprint
 * found among many by label and marker across pages, body rewritten,
 * comments only when the drifted set changes, closed and reopened, `quiet`
 * silences, retries on 5xx and rate limits, and `hoist drift --report`
 * keeps its exit code when GitHub fails.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startIssueServer, type IssueServer } from "../github/issue-server.ts";
import { reportToGitHub, parseGitHubTarget } from "../../engine/drift/github.ts";
import type { DriftReport } from "../../engine/drift/report.ts";
import { hoistCli, tempDir } from "../helpers.ts";

let gh: IssueServer;
before(async () => {
  gh = await startIssueServer("acme", "infra");
});
after(async () => {
  await gh.close();
});

const FP = "0123456789abcdef";
const item = (host: string, resource: string, found: unknown = "inactive") => ({
  host,
  task: "nginx running",
  where: "/srv/site.yaml:12:7",
  identity: `web / nginx running @ ${host}`,
  resource,
  field: "state",
  declared: "active",
  found,
});
const report = (drift: ReturnType<typeof item>[], status?: DriftReport["status"]): DriftReport => ({
  version: 1,
  kind: "hoist-drift",
  playbook: "/srv/site.yaml",
  inventory: "/srv/inventories/prod",
  fingerprint: FP,
  started_at: new Date().toISOString(),
  duration_ms: 380,
  status: status ?? (drift.length ? "drift" : "clean"),
  drift,
  pending: [],
  ignored: [],
  unknown: [],
  errors: status === "error" ? [{ host: "n3", task: "t", where: "x:1:1", identity: "i", status: "unreachable", msg: "timed out" }] : [],
  hosts: {},
});
const target = () => ({ owner: "acme", repo: "infra", token: gh.token, baseUrl: gh.url });
const fast = { retryAfterBaseValue: 5 };
const mine = () => [...gh.issues.values()].filter((i) => i.body?.startsWith(`<!-- hoist-drift fingerprint:${FP} `));

test("one issue per playbook + inventory over its life: created, updated quietly, commented on a new set, closed, reopened", async () => {
  // Other playbooks' drift issues and unrelated ones, over more than one page.
  for (let n = 0; n < 130; n++)
    gh.seed({ title: `other ${n}`, labels: ["hoist-drift"], body: `<!-- hoist-drift fingerprint:${String(n).padStart(16, "a")} resources:none -->\n` });
  for (let n = 0; n < 20; n++) gh.seed({ title: `bug ${n}`, labels: ["bug"], body: `mentions <!-- hoist-drift fingerprint:${FP} resources:none --> late` });

  assert.deepEqual(await reportToGitHub(report([]), target(), fast), { action: "none" }, "no drift, no issue");
  const created = await reportToGitHub(report([item("n1", "unit:nginx.service")]), target(), fast);
  assert.equal(created.action, "created");
  assert.equal(mine().length, 1);
  const issue = gh.issues.get(created.number!)!;
  assert.deepEqual(issue.labels, ["hoist-drift"]);
  assert.equal(issue.title, "Drift: site.yaml on prod");
  assert.match(issue.body!, /\| `n1` \| `unit:nginx.service` \| `state` \| `active` \| `inactive` \| `nginx running` at `\/srv\/site.yaml:12:7` \|/);
  assert.ok(
    gh.requests.some((r) => r.includes("page=2")),
    "the listing was paged through",
  );
  assert.ok(!gh.requests.some((r) => r.includes("/search/")), "never the search API");

  const same = await reportToGitHub(report([item("n1", "unit:nginx.service", "failed")]), target(), fast);
  assert.equal(same.action, "updated", "same resources: the body is rewritten, nobody is notified");
  assert.equal(issue.comments.length, 0);
  assert.match(issue.body!, /`failed`/);

  const more = await reportToGitHub(report([item("n1", "unit:nginx.service"), item("n2", "file:/etc/hosts")]), target(), fast);
  assert.equal(more.action, "commented");
  assert.equal(issue.comments.length, 1);
  assert.match(issue.comments[0], /Now drifting:\n- `n2 file:\/etc\/hosts`/);

  const cleared = await reportToGitHub(report([]), target(), fast);
  assert.equal(cleared.action, "closed");
  assert.equal(issue.state, "closed");
  assert.match(issue.comments[1], /No drift any more/);

  const back = await reportToGitHub(report([item("n2", "file:/etc/hosts")]), target(), fast);
  assert.equal(back.action, "reopened");
  assert.equal(back.number, created.number, "the same issue, found again while closed");
  assert.equal(issue.state, "open");
  assert.match(issue.comments[2], /Drift is back: 1 resource/);

  const unreachable = await reportToGitHub(report([], "error"), target(), fast);
  assert.equal(unreachable.action, "updated", "a host that could not be checked does not close the issue");
  assert.equal(issue.state, "open");
  assert.equal(mine().length, 1);
  assert.deepEqual(gh.violations, []);
});

test("quiet: the body stays current, nobody is notified; closing happens without a comment", async () => {
  const issue = mine()[0];
  issue.labels.push("quiet");
  const comments = issue.comments.length;
  assert.equal((await reportToGitHub(report([item("n9", "unit:x.service")]), target(), fast)).action, "updated");
  assert.equal((await reportToGitHub(report([]), target(), fast)).action, "closed");
  assert.equal((await reportToGitHub(report([item("n9", "unit:x.service")]), target(), fast)).action, "updated", "not reopened");
  assert.equal(issue.state, "closed");
  assert.equal(issue.comments.length, comments);
  assert.deepEqual(gh.violations, []);
});

test("retries: server errors with backoff, rate limits waited out; a report that keeps failing throws", async () => {
  // The issue is quiet and closed by now: each run only rewrites its body.
  gh.fail(502, 2);
  assert.equal((await reportToGitHub(report([item("n9", "unit:x.service")]), target(), fast)).action, "updated");
  const reset = String(Math.floor(Date.now() / 1000) + 1);
  gh.fail(403, 1, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset });
  gh.fail(429, 1, { "retry-after": "1" });
  const before = gh.requests.length;
  assert.equal((await reportToGitHub(report([item("n9", "unit:x.service")]), target(), fast)).action, "updated");
  assert.equal(gh.requests.length - before, 5, "two refused, then the listing (two pages) and the update");
  gh.fail(500, 5);
  await reportToGitHub(report([item("n9", "unit:x.service")]), target(), fast).then(
    () => assert.fail("should fail"),
    (e: Error) => assert.match(e.message, /Server Error/),
  );
  await reportToGitHub(report([]), { ...target(), token: "wrong" }, fast).then(
    () => assert.fail("should fail"),
    (e: Error) => assert.match(e.message, /Bad credentials/),
  );
  assert.deepEqual(gh.violations, []);
});

test("the issue server holds requests to GitHub's description: a wrong body is refused and recorded", async () => {
  const r = await fetch(`${gh.url}/repos/acme/infra/issues`, {
    method: "POST",
    headers: { authorization: `token ${gh.token}`, "content-type": "application/json" },
    body: JSON.stringify({ title: "x", labels: "hoist-drift" }),
  });
  assert.equal(r.status, 422);
  assert.equal(gh.violations.length, 1);
  assert.match(gh.violations[0], /POST \/repos\/\{owner\}\/\{repo\}\/issues: body/);
  const q = await fetch(`${gh.url}/repos/acme/infra/issues?per_page=1000&colour=red`, { headers: { authorization: `token ${gh.token}` } });
  assert.equal(q.status, 200);
  assert.equal(gh.violations.length, 2, "an unknown query parameter");
  assert.match(gh.violations[1], /unknown query parameter colour/);
  gh.violations.length = 0;
});

test("target names are checked", () => {
  assert.deepEqual(parseGitHubTarget("github:acme/infra.git"), { owner: "acme", repo: "infra.git" });
  for (const bad of ["github:acme", "gitlab:a/b", "github:a/b/c", "github:a b/c", "github:a/.."])
    assert.throws(() => parseGitHubTarget(bad), /github:OWNER\/REPO/);
});

test("hoist drift --report: the issue follows the run; the token comes from a file and never shows; GitHub failing keeps the exit code", async () => {
  const dir = tempDir();
  const pb = join(dir, "site.yaml");
  writeFileSync(pb, `- hosts: localhost\n  gather_facts: false\n  tasks:\n    - { name: flag, file: { path: ${dir}/flag, content: "on\\n" } }\n`);
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, `${gh.token}\n`, { mode: 0o600 });
  const args = ["drift", pb, "--state-dir", join(dir, "state"), "--report", "github:acme/infra", "--github-url", gh.url, "--github-token-file", tokenFile];
  const drifted = await hoistCli(args, {});
  assert.equal(drifted.status, 2, drifted.stderr);
  assert.match(drifted.stderr, /^github: created issue #\d+ /m);
  const number = Number(/#(\d+)/.exec(drifted.stderr)![1]);
  assert.match(gh.issues.get(number)!.body!, new RegExp(`\`file:${dir}/flag\``));
  assert.doesNotMatch(drifted.stdout + drifted.stderr, new RegExp(gh.token));

  // Bad credentials: GitHub refuses at once (no retry helps), as a revoked token would.
  const badToken = join(dir, "bad-token");
  writeFileSync(badToken, "ghp_revoked\n", { mode: 0o600 });
  const failing = await hoistCli([...args.slice(0, -1), badToken], {});
  assert.equal(failing.status, 2, "drift is still exit 2 when the report fails");
  assert.match(failing.stderr, /error: github report failed: Bad credentials/);
  assert.doesNotMatch(failing.stderr, /ghp_revoked/);
  writeFileSync(join(dir, "flag"), "on\n");
  const cleanButFailing = await hoistCli([...args.slice(0, -1), badToken], {});
  assert.equal(cleanButFailing.status, 1, "no drift, but the report failed: not a silent 0");
  const closed = await hoistCli(args, {});
  assert.equal(closed.status, 0);
  assert.match(closed.stderr, new RegExp(`^github: closed issue #${number} `, "m"));
  assert.deepEqual(gh.violations, []);
});
