/**
 * The stand-in `microk8s` snap of the lab (the snap store is unreachable
 * here, so MicroK8s itself cannot be installed): a classic snap named
 * microk8s whose CLI is the Go program in lab/microk8s (see its main.go for
 * what it follows of MicroK8s and what stands in), with the real
 * kube-apiserver, kube-controller-manager and kubectl the lab builds, and
 * Debian's etcd from the lab repository as its datastore. Built into the
 * snaps directory the lab binds into hosts (/opt/hoist-lab/snaps); the file
 * name carries a digest of its sources, so a changed stand-in is rebuilt.
 */
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { $ } from "zx";
import { ensureKubernetes, KUBERNETES_VERSION } from "./kubernetes.ts";
import { ensureRepo, REPO_DIR } from "./repo.ts";
import { SNAPS_DIR } from "./snaps.ts";
import { repositoryRoot } from "./repository.ts";

const SNAP_YAML = `name: microk8s
version: v${KUBERNETES_VERSION}-hoist-standin
summary: stand-in microk8s built by the hoist lab (the snap store is unreachable here)
description: Follows MicroK8s' CLI for status, add-node, join, enable, refresh-certs, config and kubectl, on a real kube-apiserver.
base: bare
confinement: classic
grade: devel
apps:
  microk8s:
    command: microk8s
  kubectl:
    command: microk8s kubectl
  daemon:
    command: microk8s daemon
    daemon: simple
    restart-condition: always
`;

/**
 * The stand-in microk8s snap, built when missing; returns its path (a file in SNAPS_DIR).
 *
 * @example
 * const snap = await ensureMicrok8sSnap(console.log); // /var/cache/hoist-lab/snaps-v2/microk8s_standin-1a2b3c4d.snap
 */
export async function ensureMicrok8sSnap(log: (s: string) => void): Promise<string> {
  // The stand-in's Go sources: lab/microk8s in this repository.
  const src = join(repositoryRoot(), "lab", "microk8s");
  const sources = readdirSync(src)
    .filter((f) => f.endsWith(".go"))
    .sort();
  const digest = createHash("sha256");
  for (const f of sources) digest.update(f).update(readFileSync(join(src, f)));
  digest.update(SNAP_YAML);
  const file = join(SNAPS_DIR, `microk8s_standin-${digest.digest("hex").slice(0, 8)}.snap`);
  if (existsSync(file)) return file;
  const [bin] = await Promise.all([ensureKubernetes(log), ensureRepo(log, ["etcd-server"])]);
  log("building the stand-in microk8s snap (lab/microk8s, the lab's Kubernetes binaries, Debian's etcd)");
  const work = mkdtempSync(join(tmpdir(), "hoist-microk8s-"));
  try {
    const root = join(work, "root");
    mkdirSync(join(root, "bin"), { recursive: true });
    mkdirSync(join(root, "meta", "hooks"), { recursive: true });
    chmodSync(root, 0o755);
    const gosrc = join(work, "src");
    mkdirSync(gosrc);
    for (const f of sources) copyFileSync(join(src, f), join(gosrc, f));
    writeFileSync(join(gosrc, "go.mod"), "module hoist.lab/microk8s\n\ngo 1.22\n");
    await $({ cwd: gosrc, env: { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=mod" } })`go build -trimpath -ldflags=-s -o ${join(root, "microk8s")} .`;
    for (const c of ["kube-apiserver", "kube-controller-manager", "kubectl"]) copyFileSync(join(bin, c), join(root, "bin", c));
    const deb = readdirSync(REPO_DIR).find((f) => /^etcd-server_.*\.deb$/.test(f));
    if (!deb) throw new Error(`no etcd-server package in ${REPO_DIR}`);
    await $`dpkg-deb -x ${join(REPO_DIR, deb)} ${join(work, "etcd")}`;
    copyFileSync(join(work, "etcd", "usr", "bin", "etcd"), join(root, "bin", "etcd"));
    for (const c of readdirSync(join(root, "bin"))) chmodSync(join(root, "bin", c), 0o755);
    writeFileSync(join(root, "meta", "snap.yaml"), SNAP_YAML);
    writeFileSync(join(root, "meta", "hooks", "install"), '#!/bin/sh\nexec "$SNAP/microk8s" install-hook\n', { mode: 0o755 });
    mkdirSync(SNAPS_DIR, { recursive: true });
    const out = `${file}.tmp`;
    await $`mksquashfs ${root} ${out} -noappend -comp gzip -Xcompression-level 1 -no-xattrs -all-root -quiet`;
    renameSync(out, file);
    // Earlier builds of the stand-in are of no further use (each is about 100 MB).
    for (const f of readdirSync(SNAPS_DIR)) if (/^microk8s_standin-[0-9a-f]{8}\.snap$/.test(f) && join(SNAPS_DIR, f) !== file) rmSync(join(SNAPS_DIR, f));
    return file;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
