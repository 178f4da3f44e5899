/**
 * A real Kubernetes control plane for the lab, built here from the Go module
 * proxy (no release downloads reach this machine): a scratch module requiring
 * k8s.io/kubernetes with one `replace` per staging module, as kubernetes' own
 * go.mod has them, then `go build` of the commands. Built once into the lab's
 * cache (about 5 minutes cold on 2 cores, seconds when Go's caches are warm)
 * and bind-mounted read-only into every lab host at /opt/kubernetes/bin.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { $ } from "zx";

/**
 * The Kubernetes release the lab builds from the Go module proxy.
 */
export const KUBERNETES_VERSION = "1.34.4";
const STAGING_VERSION = "0.34.4";
/**
 * Where the lab keeps the Kubernetes binaries it built.
 */
export const KUBERNETES_DIR = `/var/cache/hoist-lab/kubernetes-v${KUBERNETES_VERSION}`;
/** What the lab's clusters run. */
export const KUBERNETES_COMMANDS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "kubelet", "kube-proxy"];

/** kubernetes' staging modules (the `=> ./staging/…` lines of its go.mod). */
const STAGING = [
  "api",
  "apiextensions-apiserver",
  "apimachinery",
  "apiserver",
  "cli-runtime",
  "client-go",
  "cloud-provider",
  "cluster-bootstrap",
  "code-generator",
  "component-base",
  "component-helpers",
  "controller-manager",
  "cri-api",
  "cri-client",
  "csi-translation-lib",
  "dynamic-resource-allocation",
  "endpointslice",
  "externaljwt",
  "kms",
  "kube-aggregator",
  "kube-controller-manager",
  "kube-proxy",
  "kube-scheduler",
  "kubectl",
  "kubelet",
  "metrics",
  "mount-utils",
  "pod-security-admission",
  "sample-apiserver",
  "sample-cli-plugin",
  "sample-controller",
];

/**
 * The control plane's binaries in the lab's cache, built when missing.
 *
 * @example
 * await ensureKubernetes(console.log); // /var/cache/hoist-lab/kubernetes-v1.34.4/bin/kube-apiserver
 */
export async function ensureKubernetes(log: (s: string) => void): Promise<string> {
  const bin = join(KUBERNETES_DIR, "bin");
  if (KUBERNETES_COMMANDS.every((c) => existsSync(join(bin, c)))) return bin;
  log(`building Kubernetes ${KUBERNETES_VERSION} (${KUBERNETES_COMMANDS.join(", ")}) from the Go module proxy: about 5 minutes the first time`);
  const src = join(KUBERNETES_DIR, "src");
  mkdirSync(src, { recursive: true });
  const replaces = STAGING.map((m) => `\tk8s.io/${m} => k8s.io/${m} v${STAGING_VERSION}`).join("\n");
  writeFileSync(
    join(src, "go.mod"),
    `module hoist.lab/kubernetes\n\ngo 1.24\n\nrequire k8s.io/kubernetes v${KUBERNETES_VERSION}\n\nreplace (\n${replaces}\n)\n`,
  );
  const [major, minor] = KUBERNETES_VERSION.split(".");
  const ldflags = `-s -w -X k8s.io/component-base/version.gitVersion=v${KUBERNETES_VERSION} -X k8s.io/component-base/version.gitMajor=${major} -X k8s.io/component-base/version.gitMinor=${minor}`;
  const packages = KUBERNETES_COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`);
  await $({ cwd: src, env: { ...process.env, GOFLAGS: "-mod=mod" } })`go build -trimpath -ldflags ${ldflags} -o ${`${bin}/`} ${packages}`;
  return bin;
}
