/**
 * GitHub's issue API on loopback, for tests: no real GitHub is reachable
 * here, and no GitHub-compatible server that answers Octokit's issue calls
 * builds from the registries. What keeps it honest:
 * - every request is checked against GitHub's official OpenAPI description
 *   (@octokit/openapi): the operation must exist, its path and query
 *   parameters and JSON body must match their schemas;
 * - every response body is checked against the operation's response schema;
 * - objects are built from responses recorded from the real API
 *   (@octokit/fixtures: an issue of `paginate-issues`, a label of `labels`).
 * Anything off is recorded in `violations` (tests assert none) and answered
 * 422/500 as GitHub would. Faults can be queued (5xx, rate limits).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";

const require = createRequire(import.meta.url);
/** OpenAPI 3.0's `nullable` as JSON Schema: a null allowed beside the type (ajv reads `nullable` only beside `type`). */
function nullableToJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableToJsonSchema);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = nullableToJsonSchema(v);
  if (out.nullable !== true) return out;
  delete out.nullable;
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (typeof out.type === "string") return { ...out, type: [out.type, "null"] };
  return { anyOf: [out, { type: "null" }] };
}
const spec = nullableToJsonSchema(JSON.parse(readFileSync(require.resolve("@octokit/openapi/generated/api.github.com.json"), "utf8"))) as Spec;
const recorded = (scenario: string) =>
  JSON.parse(readFileSync(require.resolve(`@octokit/fixtures/scenarios/api.github.com/${scenario}/normalized-fixture.json`), "utf8")) as {
    method: string;
    path: string;
    response: unknown;
  }[];
const ISSUE = (recorded("paginate-issues")[0].response as Record<string, unknown>[])[0];
const LABEL = recorded("labels").find((x) => x.method === "post")!.response as Record<string, unknown>;
const USER = ISSUE.user as Record<string, unknown>;

interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}
interface Operation {
  operationId: string;
  parameters?: ({ $ref: string } | Parameter)[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: unknown }> }>;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Record<string, unknown>;
}

// ajv with formats, reading OpenAPI 3.0's `nullable`; the whole description is one schema others point into.
const Ajv = require("ajv").default;
const addFormats = require("ajv-formats").default ?? require("ajv-formats");
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(spec, "gh");
const pointer = (...parts: string[]) => `gh#/${parts.map((p) => p.replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;
const validators = new Map<string, (v: unknown) => boolean>();
function validatorAt(ref: string) {
  let v = validators.get(ref);
  if (!v) validators.set(ref, (v = ajv.compile({ $ref: ref })));
  return v as ((v: unknown) => boolean) & { errors?: { instancePath: string; message: string }[] };
}
const deref = <T>(x: T | { $ref: string }): T => {
  const ref = (x as { $ref?: string }).$ref;
  if (!ref) return x as T;
  const [, kind, name] = /^#\/components\/([^/]+)\/(.+)$/.exec(ref)!;
  return spec.components[kind][name] as T;
};

/** One issue as the store keeps it. */
export interface StoredIssue {
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  state_reason: string | null;
  labels: string[];
  comments: string[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface IssueServer {
  /** The API root to give Octokit as `baseUrl`. */
  url: string;
  token: string;
  issues: Map<number, StoredIssue>;
  /** Requests or responses that do not match GitHub's OpenAPI description. */
  violations: string[];
  /** Every request, as `METHOD path`. */
  requests: string[];
  /** Answer the next `times` requests (those `only` matches, as `METHOD path`) with this status (5xx, 403 rate limit, 429). */
  fail(status: number, times: number, headers?: Record<string, string>, only?: RegExp): void;
  /** Add an issue directly (another tool's, or history). */
  seed(issue: Partial<StoredIssue> & { title: string }): StoredIssue;
  close(): Promise<void>;
}

/** Find the operation for a method and path: its template and the path parameters. */
function route(method: string, path: string): { template: string; op: Operation; params: Record<string, string> } | undefined {
  for (const [template, ops] of Object.entries(spec.paths)) {
    const op = ops[method.toLowerCase()];
    if (!op) continue;
    const names: string[] = [];
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_, n) => {
      names.push(n);
      return "([^/]+)";
    });
    const re = new RegExp(`^${pattern}$`);
    const m = re.exec(path);
    if (m) return { template, op, params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return undefined;
}

/** Coerce a query or path string to the parameter's schema type before validating it. */
function coerce(value: string, schema: Record<string, unknown>): unknown {
  if (schema.type === "integer" || schema.type === "number") return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (schema.type === "boolean") return value === "true" ? true : value === "false" ? false : value;
  return value;
}

/**
 * Start the server on 127.0.0.1 (a free port) for repository `owner/repo`.
 *
 * @example
 * const gh = await startIssueServer("acme", "infra");
 * // new Octokit({ baseUrl: gh.url, auth: gh.token })
 */
export async function startIssueServer(owner: string, repo: string): Promise<IssueServer> {
  const issues = new Map<number, StoredIssue>();
  const violations: string[] = [];
  const requests: string[] = [];
  const faults: { status: number; headers: Record<string, string>; only?: RegExp }[] = [];
  const token = "ghp_test_token_for_the_issue_server_0001";
  let next = 1;
  let url = "";
  const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

  const issueJson = (i: StoredIssue) => {
    const base = `${url}/repos/${owner}/${repo}/issues/${i.number}`;
    return {
      ...ISSUE,
      url: base,
      repository_url: `${url}/repos/${owner}/${repo}`,
      labels_url: `${base}/labels{/name}`,
      comments_url: `${base}/comments`,
      events_url: `${base}/events`,
      timeline_url: `${base}/timeline`,
      html_url: `https://github.example/${owner}/${repo}/issues/${i.number}`,
      id: 5000 + i.number,
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      state_reason: i.state_reason,
      labels: i.labels.map((name, n) => ({ ...LABEL, id: 9000 + n, name, url: `${url}/repos/${owner}/${repo}/labels/${encodeURIComponent(name)}` })),
      comments: i.comments.length,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      reactions: { ...(ISSUE.reactions as object), url: `${base}/reactions` },
    };
  };
  const commentJson = (i: StoredIssue, n: number) => ({
    id: 7000 + i.number * 100 + n,
    node_id: "MDA6RW50aXR5MQ==",
    url: `${url}/repos/${owner}/${repo}/issues/comments/${7000 + i.number * 100 + n}`,
    html_url: `https://github.example/${owner}/${repo}/issues/${i.number}#issuecomment-${n}`,
    issue_url: `${url}/repos/${owner}/${repo}/issues/${i.number}`,
    body: i.comments[n],
    user: USER,
    created_at: now(),
    updated_at: now(),
    author_association: "MEMBER",
  });
  const seed = (s: Partial<StoredIssue> & { title: string }): StoredIssue => {
    const at = now();
    const issue: StoredIssue = {
      number: next++,
      body: null,
      state: "open",
      state_reason: null,
      labels: [],
      comments: [],
      created_at: at,
      updated_at: at,
      closed_at: null,
      ...s,
    };
    issues.set(issue.number, issue);
    return issue;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const full = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    requests.push(`${method} ${full.pathname}${full.search}`);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}, op?: Operation) => {
      if (op && status < 300) {
        const content = deref(op.responses[String(status)] ?? {}).content?.["application/json"];
        if (!content) violations.push(`${method} ${full.pathname}: GitHub does not answer ${status}`);
        else {
          const v = validatorAt(
            pointer("paths", routeOf!.template, method.toLowerCase(), "responses", String(status), "content", "application/json", "schema"),
          );
          if (!v(body)) violations.push(`${method} ${full.pathname}: response ${status} ${JSON.stringify(v.errors?.slice(0, 3))}`);
        }
      }
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "4999",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
        "x-ratelimit-resource": "core",
        ...headers,
      });
      res.end(body === undefined ? "" : JSON.stringify(body));
    };
    const routeOf = route(method, full.pathname);
    // The first fault that applies to this request (`only` names the requests it hits, as `METHOD path`).
    const at = faults.findIndex((f) => !f.only || f.only.test(`${method} ${full.pathname}`));
    const fault = at >= 0 ? faults.splice(at, 1)[0] : undefined;
    if (fault) return send(fault.status, { message: fault.status === 403 || fault.status === 429 ? "API rate limit exceeded" : "Server Error" }, fault.headers);
    if (req.headers.authorization !== `token ${token}` && req.headers.authorization !== `Bearer ${token}`)
      return send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
    if (!routeOf) {
      violations.push(`${method} ${full.pathname}: no such operation in GitHub's API`);
      return send(404, { message: "Not Found" });
    }
    const { op, params, template } = routeOf;
    // Parameters: path and query, against their schemas.
    for (const p of (op.parameters ?? []).map(deref<Parameter>)) {
      const raw = p.in === "path" ? params[p.name] : p.in === "query" ? full.searchParams.get(p.name) : null;
      if (raw === null || raw === undefined) {
        if (p.required) violations.push(`${method} ${template}: missing ${p.in} parameter ${p.name}`);
        continue;
      }
      const v = ajv.compile(p.schema);
      if (!v(coerce(raw, p.schema))) violations.push(`${method} ${template}: ${p.in} parameter ${p.name}=${raw}: ${ajv.errorsText(v.errors)}`);
    }
    const known = new Set((op.parameters ?? []).map(deref<Parameter>).map((p) => p.name));
    for (const q of full.searchParams.keys()) if (!known.has(q)) violations.push(`${method} ${template}: unknown query parameter ${q}`);
    let body: Record<string, unknown> = {};
    if (op.requestBody) {
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        violations.push(`${method} ${template}: body is not JSON`);
        return send(400, { message: "Problems parsing JSON" });
      }
      const v = validatorAt(pointer("paths", template, method.toLowerCase(), "requestBody", "content", "application/json", "schema"));
      if (!v(body)) {
        violations.push(`${method} ${template}: body ${JSON.stringify(v.errors?.slice(0, 3))}`);
        return send(422, { message: "Validation Failed", errors: v.errors });
      }
    }
    if (params.owner !== owner || params.repo !== repo) return send(404, { message: "Not Found" });
    const issue = params.issue_number ? issues.get(Number(params.issue_number)) : undefined;
    if (params.issue_number && !issue) return send(404, { message: "Not Found" });
    switch (op.operationId) {
      case "issues/list-for-repo": {
        const state = full.searchParams.get("state") ?? "open";
        const labels = (full.searchParams.get("labels") ?? "").split(",").filter(Boolean);
        const perPage = Number(full.searchParams.get("per_page") ?? 30);
        const page = Number(full.searchParams.get("page") ?? 1);
        const all = [...issues.values()]
          .filter((i) => (state === "all" || i.state === state) && labels.every((l) => i.labels.includes(l)))
          .sort((a, b) => b.number - a.number);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const link = (p: number) => {
          const u = new URL(`${url}${full.pathname}`);
          full.searchParams.forEach((v, k) => u.searchParams.set(k, v));
          u.searchParams.set("page", String(p));
          return u.toString();
        };
        const links = [page < last ? `<${link(page + 1)}>; rel="next"` : "", page < last ? `<${link(last)}>; rel="last"` : ""].filter(Boolean);
        return send(200, all.slice((page - 1) * perPage, page * perPage).map(issueJson), links.length ? { link: links.join(", ") } : {}, op);
      }
      case "issues/create":
        return send(201, issueJson(seed({ title: String(body.title), body: (body.body as string) ?? null, labels: (body.labels as string[]) ?? [] })), {}, op);
      case "issues/update": {
        const i = issue!;
        if (typeof body.body === "string") i.body = body.body;
        if (typeof body.title === "string") i.title = body.title;
        if (body.state === "closed" && i.state === "open")
          Object.assign(i, { state: "closed", closed_at: now(), state_reason: body.state_reason ?? "completed" });
        if (body.state === "open" && i.state === "closed") Object.assign(i, { state: "open", closed_at: null, state_reason: "reopened" });
        if (Array.isArray(body.labels)) i.labels = body.labels.map(String);
        i.updated_at = now();
        return send(200, issueJson(i), {}, op);
      }
      case "issues/create-comment": {
        const i = issue!;
        i.comments.push(String(body.body));
        return send(201, commentJson(i, i.comments.length - 1), {}, op);
      }
      case "issues/list-comments":
        return send(
          200,
          issue!.comments.map((_, n) => commentJson(issue!, n)),
          {},
          op,
        );
      default:
        violations.push(`${method} ${template}: ${op.operationId} is a real operation this server does not serve`);
        return send(501, { message: "not served here" });
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      violations.push(`server error: ${(e as Error).message}`);
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    token,
    issues,
    violations,
    requests,
    fail: (status, times, headers = {}, only) => {
      for (let n = 0; n < times; n++) faults.push({ status, headers, only });
    },
    seed,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
