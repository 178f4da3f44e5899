/**
 * kubectl_apply: Kubernetes objects applied server-side with kubectl on the
 * host. The plan reads the live objects and the server's own dry run of the
 * apply, and compares them on the fields the manifests set — so fields the
 * server defaults (a Service's node ports, a Deployment's strategy) are never
 * reported as changes. Check mode only ever dry-runs. An object whose
 * namespace or kind an earlier task of the run creates is unknown in check
 * mode, not an error. A Secret's data is sensitive. `prune` (opt-in) deletes
 * what carries its label selector but is no longer in the manifests.
 */
import {
  defineModule,
  unknowable,
  type Change,
  type Plan,
  type PlanContext,
  type Probe,
  type Step,
  cannotKnow,
  noChange,
  planFailure,
} from "../engine/module.ts";
import { splitWords } from "../engine/shell.ts";
import { absolutePath } from "./lib/argument-types.ts";
import { KubeDryRun, KubeLive, KubeSelected, type KubeObject } from "../facts/kube-objects.ts";
import { load as loadYaml, loadAll } from "js-yaml";

interface Args {
  definition?: unknown;
  src?: string;
  template: boolean;
  state: "present" | "absent";
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  kubectl: string;
  server_side_apply: { field_manager?: string; force_conflicts?: boolean };
  wait: boolean;
  wait_condition?: { type: string; status?: string };
  wait_timeout: number;
  prune?: { selector: string; kinds?: string[] };
}

type Doc = Record<string, unknown>;
const idOf = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
const sameObject = (a: KubeObject, b: KubeObject) =>
  a.kind === b.kind && a.metadata.name === b.metadata.name && (a.metadata.namespace ?? "") === (b.metadata.namespace ?? "");

/** Every leaf path a manifest sets (lists are compared whole: their order is theirs). */
function leaves(value: unknown, path: string[] = []): string[][] {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Doc);
    return entries.length ? entries.flatMap(([k, v]) => leaves(v, [...path, k])) : [path];
  }
  return [path];
}
const at = (doc: unknown, path: string[]) => path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Doc)[k] : undefined), doc);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The manifests: `definition` (one object or a list) or `src` (multi-document YAML). */
async function manifests(args: Args, ctx: PlanContext): Promise<KubeObject[]> {
  let docs: unknown[];
  if (args.src !== undefined) {
    const text = (await ctx.readLocal(args.src, args.template ? "templates" : "files")).toString("utf8");
    docs = loadAll(args.template ? ctx.render(text) : text);
  } else docs = Array.isArray(args.definition) ? args.definition : [typeof args.definition === "string" ? loadYaml(args.definition) : args.definition];
  const objects = docs.filter((d) => d !== null && d !== undefined) as KubeObject[];
  for (const o of objects) {
    if (!o || typeof o !== "object" || typeof o.apiVersion !== "string" || typeof o.kind !== "string" || typeof o.metadata?.name !== "string")
      throw new Error("every manifest needs apiVersion, kind and metadata.name");
    if (
      args.namespace &&
      o.metadata.namespace === undefined &&
      !["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "StorageClass", "PersistentVolume"].includes(o.kind)
    )
      o.metadata = { ...o.metadata, namespace: args.namespace };
  }
  return objects;
}

/** A not-yet-existing namespace or kind: what an earlier task of the run may create. */
const dependsOnEarlier = (error: string) =>
  /namespaces? "[^"]+" not found|no matches for kind|ensure CRDs are installed|the server doesn't have a resource type/.test(error);

function changesOf(want: KubeObject[], live: KubeObject[], dry: KubeObject[]): Change[] {
  const changes: Change[] = [];
  for (const w of want) {
    const before = live.find((l) => sameObject(l, w));
    const after = dry.find((d) => sameObject(d, w)) ?? w;
    const secret = w.kind === "Secret";
    if (!before) {
      changes.push({ resource: `k8s:${idOf(w)}`, field: "object", before: null, after: "created", ...(secret ? { sensitive: true } : {}) });
      continue;
    }
    for (const path of leaves(w)) {
      if (path[0] === "metadata" && (path[1] === "namespace" || path[1] === "name")) continue;
      // stringData is folded into data by the server: compare what it becomes.
      const p = secret && path[0] === "stringData" ? ["data", ...path.slice(1)] : path;
      const b = at(before, p);
      const a = at(after, p);
      if (!same(b, a))
        changes.push({
          resource: `k8s:${idOf(w)}`,
          field: p.join("."),
          before: b ?? null,
          after: a ?? null,
          ...(secret && p[0] === "data" ? { sensitive: true } : {}),
        });
    }
  }
  return changes;
}

/** `Deployment` of `apps/v1` as kubectl names it unambiguously: `Deployment.apps`. */
const kindName = (o: KubeObject) => (o.apiVersion.includes("/") ? `${o.kind}.${o.apiVersion.split("/")[0]}` : o.kind);

/**
 * What `prune` deletes: objects of the manifests' kinds (or the kinds given)
 * carrying the selector, in the manifests' namespaces, that the manifests no
 * longer name.
 */
async function pruneCandidates(args: Args, probe: Probe, kubectl: string[], want: KubeObject[]): Promise<KubeObject[]> {
  const prune = args.prune!;
  const kinds = prune.kinds ?? [...new Set(want.map(kindName))];
  const namespaces = [...new Set(want.map((o) => o.metadata.namespace ?? args.namespace))];
  const found = await Promise.all(
    namespaces.map((namespace) => probe.fact(KubeSelected, { kubectl, kinds, selector: prune.selector, ...(namespace ? { namespace } : {}) })),
  );
  const seen = new Set<string>();
  return found
    .flat()
    .filter((o) => !want.some((w) => sameObject(w, o)))
    .filter((o) => !seen.has(idOf(o)) && seen.add(idOf(o)));
}

/** Objects as one kubectl reads them from stdin: a List. */
const asList = (items: unknown[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items });

/** Namespaces the manifests create (not live yet), by name. */
function newNamespaces(want: KubeObject[], live: KubeObject[]): Set<string> {
  const created = want.filter((o) => o.kind === "Namespace" && !live.some((l) => sameObject(l, o)));
  return new Set(created.map((o) => o.metadata.name));
}

async function planApply(args: Args, probe: Probe, kubectl: string[], want: KubeObject[]): Promise<Plan> {
  const list = asList(want);
  const fieldManager = args.server_side_apply.field_manager ?? "hoist";
  const force = !!args.server_side_apply.force_conflicts;
  let live: KubeObject[];
  try {
    live = await probe.fact(KubeLive, { kubectl, manifests: list });
  } catch (e) {
    const msg = (e as Error).message;
    if (probe.check && dependsOnEarlier(msg)) return cannotKnow(msg);
    return planFailure(msg);
  }
  // The server cannot dry-run objects in a namespace these manifests create: they are created as written.
  const fresh = newNamespaces(want, live);
  const dryWant = want.filter((o) => !fresh.has(o.metadata.namespace ?? ""));
  const dry = dryWant.length
    ? await probe.fact(KubeDryRun, { kubectl, manifests: dryWant.length === want.length ? list : asList(dryWant), fieldManager, force })
    : { objects: [] };
  if (dry.error) {
    if (probe.check && dependsOnEarlier(dry.error)) return cannotKnow(`the server cannot dry-run it yet: ${dry.error}`);
    return planFailure(`server-side dry run: ${dry.error}`);
  }
  const changes = changesOf(want, live, dry.objects);
  const pruned = args.prune ? await pruneCandidates(args, probe, kubectl, want) : [];
  const steps: Step[] = [];
  if (changes.length)
    steps.push({
      run: [...kubectl, "apply", "--server-side", `--field-manager=${fieldManager}`, ...(force ? ["--force-conflicts"] : []), "-f", "-"],
      stdin: list,
      touches: [],
      describe: `kubectl apply --server-side (${want.map(idOf).join(", ")})`,
    });
  if (pruned.length) {
    for (const o of pruned) changes.push({ resource: `k8s:${idOf(o)}`, field: "object", before: "present", after: "pruned" });
    const names = pruned.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name, namespace: o.metadata.namespace } }));
    steps.push({
      run: [...kubectl, "delete", "--ignore-not-found", "-f", "-"],
      stdin: asList(names),
      touches: [],
      describe: `kubectl delete (pruned: ${pruned.map(idOf).join(", ")})`,
    });
  }
  if (args.wait && args.wait_condition) {
    const cond = `--for=condition=${args.wait_condition.type}${args.wait_condition.status ? `=${args.wait_condition.status}` : ""}`;
    steps.push({
      run: [...kubectl, "wait", cond, `--timeout=${args.wait_timeout}s`, "-f", "-"],
      stdin: list,
      touches: [],
      ...(changes.length ? {} : { unchangedCodes: [0] }),
    });
  }
  if (!steps.length) return noChange(`${want.map(idOf).join(", ")} as wanted`);
  return { changes, steps, projects: [unknowable({ facts: [KubeLive, KubeDryRun, KubeSelected] })] };
}

export default defineModule<Args>({
  name: "kubectl_apply",
  aliases: ["kubectl-apply", "k8s", "kubernetes.core.k8s"],
  description:
    "Apply Kubernetes objects server-side with kubectl on the host; the plan compares the live objects with the server's own dry run on the fields the manifests set, so defaulted fields never show as changes.",
  schema: {
    type: "object",
    properties: {
      definition: { description: "One object, a list of them, or YAML text." },
      src: {
        type: "string",
        description: "A YAML file of one or more documents on the control machine (the role's files/, or templates/ with template: true).",
      },
      template: { type: "boolean", default: false },
      state: { enum: ["present", "absent"], default: "present" },
      namespace: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", description: "For objects that name none." },
      kubeconfig: absolutePath,
      context: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$" },
      kubectl: {
        type: "string",
        default: "kubectl",
        pattern: "^[A-Za-z0-9/][A-Za-z0-9_./ -]*$",
        description: "The kubectl command: `microk8s kubectl`, `/opt/kubernetes/bin/kubectl`.",
      },
      server_side_apply: {
        type: "object",
        properties: { field_manager: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$" }, force_conflicts: { type: "boolean" } },
        additionalProperties: false,
        default: {},
      },
      wait: { type: "boolean", default: false },
      wait_condition: {
        type: "object",
        properties: { type: { type: "string", pattern: "^[A-Za-z]+$" }, status: { enum: ["True", "False", "Unknown"] } },
        required: ["type"],
        additionalProperties: false,
      },
      wait_timeout: { type: "integer", minimum: 1, default: 120 },
      prune: {
        type: "object",
        description: "Delete objects that carry this label selector but are no longer in the manifests (opt-in).",
        properties: {
          selector: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_./=!,() -]*$", description: "A label selector: `app=web`, `tier in (a,b)`." },
          kinds: {
            type: "array",
            items: { type: "string", pattern: "^[A-Z][A-Za-z0-9]*(\\.[a-z0-9][a-z0-9.-]*)?$" },
            minItems: 1,
            description: "Kinds to prune (`ConfigMap`, `Deployment.apps`); default: the kinds of the manifests.",
          },
        },
        required: ["selector"],
        additionalProperties: false,
      },
    },
    additionalProperties: false,
  },
  notes: [
    "Always server-side apply (field manager `hoist` unless set); kubernetes.core.k8s's client-side apply and merge types are not there.",
    "`prune: {selector, kinds}` is hoist's (kubernetes.core.k8s has none; kubectl's `--prune` is alpha): after the apply, objects of the manifests' kinds in their namespaces that carry the selector and are not in the manifests are deleted — listed as `pruned` in check mode.",
    "kubectl runs on the host (a master's kubectl, or `kubectl: microk8s kubectl`), reading `kubeconfig` or its default.",
    "A Secret's data is sensitive: output, --diff and JSON say it changes, never what.",
  ].join("\n"),
  examples: `
- name: the NFS storage class
  kubectl_apply:
    kubectl: microk8s kubectl
    definition:
      apiVersion: storage.k8s.io/v1
      kind: StorageClass
      metadata: { name: nfs }
      provisioner: nfs.csi.k8s.io
      parameters: { server: "{{ nfs_server }}", share: /srv/nfs/k8s }
- name: the provisioner, and nothing left over from older versions of it
  kubectl_apply:
    src: nfs-provisioner.yaml
    namespace: nfs
    prune: { selector: app.kubernetes.io/part-of=nfs-provisioner }
`,
  validate(args) {
    if ((args.definition === undefined) === (args.src === undefined)) return "give definition or src";
    if (args.wait && !args.wait_condition) return "wait needs wait_condition (type, status)";
    return undefined;
  },
  async plan(args, probe, ctx) {
    const kubectl = [
      ...splitWords(args.kubectl),
      ...(args.kubeconfig ? [`--kubeconfig=${args.kubeconfig}`] : []),
      ...(args.context ? [`--context=${args.context}`] : []),
    ];
    let want: KubeObject[];
    try {
      want = await manifests(args, ctx);
    } catch (e) {
      return planFailure((e as Error).message);
    }
    if (args.state === "present") return planApply(args, probe, kubectl, want);
    const list = asList(want);
    const live = await probe.fact(KubeLive, { kubectl, manifests: list });
    if (!live.length) return noChange("none of them exists");
    return {
      changes: live.map((o) => ({ resource: `k8s:${idOf(o)}`, field: "object", before: "present", after: "deleted" })),
      steps: [{ run: [...kubectl, "delete", "--ignore-not-found", "-f", "-"], stdin: list, touches: [] }],
      projects: [unknowable({ facts: [KubeLive, KubeDryRun] })],
    };
  },
});
