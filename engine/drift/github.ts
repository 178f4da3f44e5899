/**
 * Drift as a GitHub issue, with @octokit/rest: one issue per playbook +
 * inventory, found by its label and a hidden marker at the top of its body
 * that holds the fingerprint (open and closed issues with the label, listed
 * and paged through: the search API's low rate limit broke other bots).
 * Each run rewrites the body; a comment only when the set of drifted
 * resources changes; closed with a comment when drift clears, reopened when
 * it returns. An issue labelled `quiet` gets its body kept current and
 * nothing that notifies anyone (no comments, no reopening). Retries with
 * backoff on server errors (plugin-retry) and waits out rate limits
 * (plugin-throttling). The report is built from redacted results, so no
 * secret reaches GitHub.
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import { Octokit } from "@octokit/rest";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { InputError } from "../errors.ts";
import { printable } from "../report/printable.ts";
import { code, formatMarkdown } from "./format.ts";
import type { DriftReport } from "./report.ts";

/** Where drift issues go. */
export interface GitHubTarget {
  owner: string;
  repo: string;
  token: string;
  /** The REST API's root: GitHub Enterprise Server's `https://HOST/api/v3`; default api.github.com. */
  baseUrl?: string;
}

/**
 * How `hoist drift --report github` labels its issues: the label that marks them, the one that
 * silences one, and the retry backoff's base (tests shorten it).
 */
export interface GitHubOptions {
  /** The label that marks hoist's drift issues. */
  label?: string;
  /** The label that silences an issue. */
  quietLabel?: string;
  /** Seconds are multiplied by this before waiting (tests shorten the backoff; default 1000). */
  retryAfterBaseValue?: number;
}

/** What the run did to the issue. */
export interface GitHubOutcome {
  action: "created" | "updated" | "commented" | "reopened" | "closed" | "none";
  number?: number;
  url?: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Parse `github:OWNER/REPO` (bad input is refused before any host is touched).
 *
 * @example
 * parseGitHubTarget("github:acme/infra") // { owner: "acme", repo: "infra" }
 */
export function parseGitHubTarget(spec: string): { owner: string; repo: string } {
  const m = /^github:([^/]+)\/([^/]+)$/.exec(spec);
  if (!m || !NAME.test(m[1]) || !NAME.test(m[2]) || m[2] === "." || m[2] === "..") throw new InputError(`--report: expected github:OWNER/REPO, got '${spec}'`);
  return { owner: m[1], repo: m[2] };
}

const MARKER = /^<!-- hoist-drift fingerprint:([0-9a-f]{16}) resources:([0-9a-f]{16}|none) -->/;

/** The set of drifted resources, as one hash: a comment is due when it changes. */
function resourceSet(report: DriftReport): { hash: string; keys: string[] } {
  const keys = [...new Set(report.drift.map((i) => `${i.host} ${i.resource}`))].sort();
  return { hash: keys.length ? createHash("sha256").update(keys.join("\n")).digest("hex").slice(0, 16) : "none", keys };
}

/** GitHub refuses bodies over 65,536 characters. */
const MAX_BODY = 65_000;

function bodyOf(report: DriftReport, set: { hash: string; keys: string[] }): string {
  const marker = `<!-- hoist-drift fingerprint:${report.fingerprint} resources:${set.hash} -->`;
  // The resource list (for the next run's "what changed") takes at most half the body; the marker's hash still names the whole set.
  const listed: string[] = [];
  let size = 0;
  for (const k of set.keys.map((k) => printable(k, false).replace(/-->/g, "--\\>"))) {
    if ((size += k.length + 1) > MAX_BODY / 2) break;
    listed.push(k);
  }
  const footer = `\n<sub>Written by \`hoist drift\`; rewritten on every run. Label it \`quiet\` to silence it.</sub>\n<!-- resources\n${listed.join("\n")}\n-->\n`;
  const cut = "\n\n… (cut: the full report is in `hoist drift --json`)\n";
  const markdown = formatMarkdown(report);
  const room = MAX_BODY - marker.length - footer.length - cut.length - 1;
  // Cut at a line's end: every value sits on its own line in a code span, so no span is left open.
  const shown = markdown.length <= room + cut.length ? markdown : `${markdown.slice(0, Math.max(0, markdown.lastIndexOf("\n", room)))}${cut}`;
  return `${marker}\n${shown}${footer}`;
}

/** The resources an earlier body listed, to say what changed. */
function keysIn(body: string): string[] {
  const m = /<!-- resources\n([\s\S]*?)\n?-->\n?$/.exec(body);
  return m ? m[1].split("\n").filter(Boolean) : [];
}

function titleOf(report: DriftReport): string {
  return `Drift: ${basename(report.playbook)}${report.inventory ? ` on ${basename(report.inventory)}` : ""}`;
}

/**
 * An Octokit with retries and rate-limit handling.
 *
 * @example
 * const octokit = githubClient({ owner: "acme", repo: "infra", token: process.env.GITHUB_TOKEN! });
 */
export function githubClient(target: GitHubTarget, options: GitHubOptions = {}): Octokit {
  const Client = Octokit.plugin(retry, throttling);
  const base = options.retryAfterBaseValue ?? 1000;
  return new Client({
    auth: target.token,
    userAgent: "hoist-drift",
    ...(target.baseUrl ? { baseUrl: target.baseUrl.replace(/\/+$/, "") } : {}),
    retry: { retries: 4, retryAfterBaseValue: base },
    throttle: {
      retryAfterBaseValue: base,
      // Up to three waits for the quota to come back, then the report fails (the exit code still tells the drift).
      onRateLimit: (_after: number, _opts: unknown, _o: unknown, retryCount: number) => retryCount < 3,
      onSecondaryRateLimit: (_after: number, _opts: unknown, _o: unknown, retryCount: number) => retryCount < 3,
    },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

/**
 * Bring the playbook + inventory's drift issue up to date with a report.
 *
 * @example
 * const outcome = await reportToGitHub(report, { owner: "acme", repo: "infra", token });
 * outcome.action // "created" the first time drift shows
 */
export async function reportToGitHub(report: DriftReport, target: GitHubTarget, options: GitHubOptions = {}): Promise<GitHubOutcome> {
  const label = options.label ?? "hoist-drift";
  const quietLabel = options.quietLabel ?? "quiet";
  const octokit = githubClient(target, options);
  const { owner, repo } = target;
  const found = (await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, labels: label, state: "all", per_page: 100 }))
    .filter((i) => !i.pull_request && MARKER.exec(i.body ?? "")?.[1] === report.fingerprint)
    // An open one first, then the newest.
    .sort((a, b) => Number(b.state === "open") - Number(a.state === "open") || b.number - a.number);
  const issue = found[0];
  const set = resourceSet(report);
  const body = bodyOf(report, set);
  const drifting = report.drift.length > 0;
  if (!issue) {
    if (!drifting) return { action: "none" };
    const made = await octokit.rest.issues.create({ owner, repo, title: titleOf(report), body, labels: [label] });
    return { action: "created", number: made.data.number, url: made.data.html_url };
  }
  const ref = { owner, repo, issue_number: issue.number };
  const at = { number: issue.number, url: issue.html_url };
  const quiet = issue.labels.some((l) => (typeof l === "string" ? l : l.name) === quietLabel);
  const before = MARKER.exec(issue.body ?? "")?.[2];
  const comment = async (text: string) => {
    if (!quiet) await octokit.rest.issues.createComment({ ...ref, body: text });
  };
  if (drifting) {
    if (issue.state === "closed") {
      if (quiet) {
        await octokit.rest.issues.update({ ...ref, body });
        return { action: "updated", ...at };
      }
      // The notice first, then the body that records it was given: a comment that fails is posted by the next run.
      await comment(`Drift is back: ${set.keys.length} resource${set.keys.length === 1 ? "" : "s"}.\n\n${set.keys.map((k) => `- ${code(k)}`).join("\n")}\n`);
      await octokit.rest.issues.update({ ...ref, body, state: "open" });
      return { action: "reopened", ...at };
    }
    if (before === set.hash || quiet) {
      if (issue.body !== body) await octokit.rest.issues.update({ ...ref, body });
      return { action: issue.body !== body ? "updated" : "none", ...at };
    }
    const old = new Set(keysIn(issue.body ?? ""));
    const now = new Set(set.keys);
    const added = set.keys.filter((k) => !old.has(k));
    const gone = [...old].filter((k) => !now.has(k));
    await comment(
      [
        "The drifted resources changed.",
        added.length ? `\nNow drifting:\n${added.map((k) => `- ${code(k)}`).join("\n")}` : "",
        gone.length ? `\nNo longer drifting:\n${gone.map((k) => `- ${code(k)}`).join("\n")}` : "",
      ].join("\n"),
    );
    await octokit.rest.issues.update({ ...ref, body });
    return { action: "commented", ...at };
  }
  if (issue.state === "closed") return { action: "none", ...at };
  // Hosts that failed or could not be reached say nothing about drift: keep the issue open.
  if (report.status === "error") {
    if (issue.body !== body) await octokit.rest.issues.update({ ...ref, body });
    return { action: issue.body !== body ? "updated" : "none", ...at };
  }
  await comment(`No drift any more (checked ${report.started_at}): closing.`);
  await octokit.rest.issues.update({ ...ref, body, state: "closed", state_reason: "completed" });
  return { action: "closed", ...at };
}
