/**
 * kubeconfig: a kubeconfig file built from its parts — a cluster (server,
 * CA), a user (client certificate and key, or a token) and a context — with
 * the certificates read from files on the host and embedded. The file on the
 * host is compared as data, not as text: a reformatted file that means the
 * same is not a change, and each change is named by what it changes. Keys
 * and tokens are sensitive: output, --diff and JSON say they change, never what.
 */
import { load, dump } from "js-yaml";
import { defineModule, type Change, type Plan, type Probe, noChange, planFailure } from "../engine/module.ts";
import { absolutePath, accountName, httpUrl } from "./lib/argument-types.ts";
import { attributeFixes, normalizeMode } from "./lib/attrs.ts";

interface Args {
  path: string;
  cluster: { name: string; server: string; certificate_authority?: string; insecure_skip_tls_verify?: boolean };
  user: { name: string; client_certificate?: string; client_key?: string; token?: string };
  context?: string;
  namespace?: string;
  embed: boolean;
  mode?: string | number;
  owner?: string;
  group?: string;
}

type Doc = Record<string, unknown>;
const name = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$" };
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** A file the kubeconfig embeds, read on the host (as check mode would have left it); a missing one fails the plan. */
async function embedded(probe: Probe, path: string, what: string): Promise<string> {
  const text = await probe.readFile(path);
  if (text === null) throw new Error(`${what} ${path} does not exist on the host`);
  return b64(text);
}

/** The kubeconfig the arguments describe, as kubectl writes one. */
async function wanted(args: Args, probe: Probe): Promise<Doc> {
  const ref = (key: string, path: string | undefined, what: string) =>
    path === undefined ? {} : args.embed ? embedded(probe, path, what).then((data) => ({ [`${key}-data`]: data })) : Promise.resolve({ [key]: path });
  const [ca, cert, key] = await Promise.all([
    ref("certificate-authority", args.cluster.certificate_authority, "certificate_authority"),
    ref("client-certificate", args.user.client_certificate, "client_certificate"),
    ref("client-key", args.user.client_key, "client_key"),
  ]);
  const context = args.context ?? `${args.user.name}@${args.cluster.name}`;
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: args.cluster.name,
        cluster: { server: args.cluster.server, ...ca, ...(args.cluster.insecure_skip_tls_verify ? { "insecure-skip-tls-verify": true } : {}) },
      },
    ],
    users: [{ name: args.user.name, user: { ...cert, ...key, ...(args.user.token !== undefined ? { token: args.user.token } : {}) } }],
    contexts: [{ name: context, context: { cluster: args.cluster.name, user: args.user.name, ...(args.namespace ? { namespace: args.namespace } : {}) } }],
    "current-context": context,
    preferences: {},
  };
}

/** The same data, whatever the key order. */
const same = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as Doc);
  const kb = Object.keys(b as Doc);
  return ka.length === kb.length && ka.every((k) => same((a as Doc)[k], (b as Doc)[k]));
};

/** The existing file as data; undefined when it is not a mapping kubeconfig (then it is replaced whole). */
function parse(text: string | null): Doc | undefined {
  if (text === null) return undefined;
  try {
    const doc = load(text, { maxAliases: 0 } as never);
    return doc && typeof doc === "object" && !Array.isArray(doc) ? (doc as Doc) : undefined;
  } catch {
    return undefined;
  }
}

/** What differs, field by field: secrets named as changing, never shown. */
function fieldChanges(path: string, before: Doc | undefined, after: Doc): Change[] {
  const entry = (doc: Doc | undefined, list: string, field: string) => ((doc?.[list] as Doc[] | undefined)?.[0]?.[field] ?? {}) as Doc;
  const parts: [string, (d: Doc | undefined) => unknown, boolean][] = [
    ["cluster", (d) => ({ name: (d?.clusters as Doc[] | undefined)?.[0]?.name, ...entry(d, "clusters", "cluster") }), false],
    ["user", (d) => (d?.users as Doc[] | undefined)?.[0]?.name, false],
    ["user credentials", (d) => entry(d, "users", "user"), true],
    ["context", (d) => ({ name: (d?.contexts as Doc[] | undefined)?.[0]?.name, ...entry(d, "contexts", "context") }), false],
    ["current-context", (d) => d?.["current-context"], false],
    ["the rest", (d) => Object.fromEntries(Object.entries(d ?? {}).filter(([k]) => !["clusters", "users", "contexts", "current-context"].includes(k))), false],
  ];
  const changes: Change[] = [];
  for (const [field, pick, sensitive] of parts) {
    const b = before === undefined ? null : pick(before);
    const a = pick(after);
    if (!same(b, a)) changes.push({ field, path, before: b, after: a, ...(sensitive ? { sensitive: true } : {}) });
  }
  return changes;
}

export default defineModule<Args>({
  name: "kubeconfig",
  description:
    "A kubeconfig file from a cluster (server, CA), a user (client certificate and key, or token) and a context; certificates read on the host and embedded; compared as data; keys and tokens sensitive.",
  schema: {
    type: "object",
    properties: {
      path: absolutePath,
      cluster: {
        type: "object",
        properties: {
          name,
          server: httpUrl,
          certificate_authority: { ...absolutePath, description: "The CA certificate, a file on the host." },
          insecure_skip_tls_verify: { type: "boolean" },
        },
        required: ["name", "server"],
        additionalProperties: false,
      },
      user: {
        type: "object",
        properties: {
          name,
          client_certificate: absolutePath,
          client_key: absolutePath,
          token: { type: "string", minLength: 1 },
        },
        required: ["name"],
        additionalProperties: false,
      },
      context: name,
      namespace: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" },
      embed: { type: "boolean", default: true, description: "Embed the certificates and key (`*-data`); false: refer to their paths." },
      mode: { type: ["string", "integer"], default: "0600" },
      owner: accountName,
      group: accountName,
    },
    required: ["path", "cluster", "user"],
    additionalProperties: false,
  },
  notes: [
    "Ansible has no builtin for it (roles run `kubectl config set-*` commands, which change the file on every run); this module writes the whole file and compares it as data.",
    "One cluster, one user, one context per file, as the hard way's kubeconfigs are; the current context is that one.",
  ].join("\n"),
  examples: `
- name: the admin's kubeconfig
  kubeconfig:
    path: /root/.kube/config
    cluster: { name: hoist, server: "https://{{ api_lb }}:6443", certificate_authority: /etc/kubernetes/pki/ca.crt }
    user: { name: admin, client_certificate: /etc/kubernetes/pki/admin.crt, client_key: /etc/kubernetes/pki/admin.key }
`,
  validate(args) {
    if (args.user.token !== undefined && (args.user.client_certificate !== undefined || args.user.client_key !== undefined))
      return "user: a token or a client certificate and key, not both";
    if ((args.user.client_certificate === undefined) !== (args.user.client_key === undefined)) return "user: client_certificate and client_key go together";
    return undefined;
  },
  async plan(args, probe): Promise<Plan> {
    const mode = normalizeMode(args.mode);
    const dir = args.path.slice(0, args.path.lastIndexOf("/")) || "/";
    const [stats, text] = await Promise.all([probe.statMany([args.path, dir]), probe.readFile(args.path)]);
    const stat = stats.get(args.path) ?? null;
    if (!stats.get(dir)) return planFailure(`${dir} does not exist; create it first (file: state: directory)`);
    let want: Doc;
    try {
      want = await wanted(args, probe);
    } catch (e) {
      return planFailure((e as Error).message);
    }
    const before = parse(text);
    if (stat && before && same(before, want)) {
      const fixes = attributeFixes(args.path, stat, { mode, owner: args.owner, group: args.group });
      return fixes.changes.length ? fixes : noChange(`${args.path} holds this kubeconfig`);
    }
    const changes = fieldChanges(args.path, before, want);
    return {
      changes: changes.length ? changes : [{ field: "content", path: args.path, before: "(not a kubeconfig)", after: "(kubeconfig)" }],
      steps: [{ write: args.path, content: dump(want, { lineWidth: -1 }), mode, owner: args.owner, group: args.group, describe: `write ${args.path}` }],
    };
  },
});
