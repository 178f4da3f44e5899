/**
 * Kubernetes objects as the API server has them, read with kubectl on the
 * host: KubeLive, the live objects a set of manifests names (absent ones
 * left out); KubeDryRun, what a server-side apply of them would make (the
 * server's own dry run: defaults, admission and field ownership included;
 * nothing is written); KubeSelected, the objects of some kinds that carry a
 * label selector (what `prune` may delete). The manifests travel as one JSON
 * List on kubectl's standard input, whatever their size.
 */
import { defineFact } from "../engine/fact.ts";

/**
 * A Kubernetes object as the API server returns it.
 */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
};

/**
 * How to reach the API server (the kubectl command line) and the manifests read.
 */
export interface KubeRead {
  /** The kubectl command line's words (`kubectl --kubeconfig …`, or `microk8s kubectl`). */
  kubectl: string[];
  /** A JSON List of the manifests. */
  manifests: string;
}

/**
 * What the server-side dry run of an apply would make, or what the server refused.
 */
export interface DryRun {
  objects: KubeObject[];
  /** What the server refused, when it did (a namespace or a kind that does not exist yet). */
  error?: string;
}

const items = (text: string): KubeObject[] => {
  if (!text.trim()) return [];
  const doc = JSON.parse(text) as KubeObject & { items?: KubeObject[] };
  return doc.kind === "List" || Array.isArray(doc.items) ? (doc.items ?? []) : [doc];
};

/**
 * @example
 * await probe.fact(KubeLive, { kubectl: ["kubectl"], manifests }) // [{ kind: "ConfigMap", metadata: { name: "app", … }, data: { … } }]
 */
export const KubeLive = defineFact<KubeRead, KubeObject[]>({
  name: "KubeLive",
  command: ({ kubectl }) => [...kubectl, "get", "--ignore-not-found", "-o", "json", "-f", "-"],
  stdin: ({ manifests }) => manifests,
  parse(r) {
    if (r.code !== 0) throw new Error(`kubectl get failed: ${r.stderr.trim()}`);
    return items(r.stdout);
  },
  fresh: true,
  prefetch: false,
});

/**
 * @example
 * await probe.fact(KubeDryRun, { kubectl: ["kubectl"], manifests, fieldManager: "hoist", force: false }) // { objects: [ … as applied … ] }
 */
export const KubeDryRun = defineFact<KubeRead & { fieldManager: string; force: boolean }, DryRun>({
  name: "KubeDryRun",
  command: ({ kubectl, fieldManager, force }) => [
    ...kubectl,
    "apply",
    "--server-side",
    "--dry-run=server",
    `--field-manager=${fieldManager}`,
    ...(force ? ["--force-conflicts"] : []),
    "-o",
    "json",
    "-f",
    "-",
  ],
  stdin: ({ manifests }) => manifests,
  parse(r) {
    if (r.code !== 0) return { objects: [], error: r.stderr.trim() || `kubectl exit ${r.code}` };
    return { objects: items(r.stdout) };
  },
  fresh: true,
  prefetch: false,
});

/**
 * The objects of `kinds` (`ConfigMap`, `Deployment.apps`) matching a label selector, in one namespace or cluster-wide.
 *
 * @example
 * await probe.fact(KubeSelected, { kubectl: ["kubectl"], kinds: ["ConfigMap"], selector: "app=web", namespace: "demo" }) // [{ kind: "ConfigMap", … }]
 */
export const KubeSelected = defineFact<{ kubectl: string[]; kinds: string[]; selector: string; namespace?: string }, KubeObject[]>({
  name: "KubeSelected",
  command: ({ kubectl, kinds, selector, namespace }) => [
    ...kubectl,
    "get",
    kinds.join(","),
    `--selector=${selector}`,
    ...(namespace ? [`--namespace=${namespace}`] : []),
    "--ignore-not-found",
    "-o",
    "json",
  ],
  parse(r) {
    if (r.code !== 0) throw new Error(`kubectl get failed: ${r.stderr.trim()}`);
    return items(r.stdout);
  },
  fresh: true,
  prefetch: false,
});
