/**
 * The lab's own apt repository: the .debs that tests and playbooks install,
 * downloaded once on the control machine through its normal apt client and
 * indexed with dpkg-scanpackages, then bind-mounted into every lab host — as an
 * air-gapped site runs its own mirror.
 */
import { existsSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { $ } from "zx";
import { InputError } from "../engine/errors.ts";

/**
 * Where the lab keeps its local apt repository (the Kubernetes repository's stand-in).
 */
export const REPO_DIR = "/var/cache/hoist-lab/repo";
/** Packages lab tests and example playbooks install, with what they depend on beyond the base image. */
export const REPO_PACKAGES = ["haproxy", "nginx-light", "nfs-kernel-server", "tree", "jq", "socat", "conntrack"];

async function dependencies(packages: string[]): Promise<string[]> {
  const r = await $`apt-get install --simulate --no-install-recommends -o Debug::NoLocking=1 ${packages}`.nothrow();
  if (r.exitCode !== 0) throw new Error(`apt-get simulate failed: ${r.stderr}`);
  const names = new Set(packages);
  // Simulating against the control machine may find some already installed; add the
  // full dependency closure from apt-cache so the lab (minbase) gets them all.
  const deps = await $`apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances ${packages}`.nothrow();
  for (const line of deps.stdout.split("\n")) {
    const m = /^\s*(?:\|?(?:Pre)?Depends:\s*)?([a-z0-9][a-z0-9+.-]+)$/.exec(line.trim().replace(/^\|?(PreDepends|Depends):\s*/, ""));
    if (m && !m[1].includes("<")) names.add(m[1]);
  }
  return [...names];
}

/** What a package name given to `--packages` must look like: it reaches apt-get's argv. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]*$/;

/**
 * The repository holding `REPO_PACKAGES` and `extra` (with their dependencies).
 * It only grows: packages asked for once stay, so labs with different needs
 * share one download.
 *
 * @example
 * await ensureRepo(console.log, ["etcd-server", "etcd-client"]);
 */
export async function ensureRepo(log: (s: string) => void, extra: string[] = []): Promise<void> {
  const bad = extra.find((p) => !PACKAGE_NAME.test(p));
  if (bad !== undefined) throw new InputError(`--packages: not a Debian package name: '${bad}'`);
  const marker = join(REPO_DIR, ".packages");
  const have = existsSync(marker) ? readFileSync(marker, "utf8").split(" ").filter(Boolean) : [];
  const wanted = [...new Set([...REPO_PACKAGES, ...have, ...extra])].sort();
  if (wanted.every((p) => have.includes(p))) return;
  log(`building the lab apt repository in ${REPO_DIR} (${wanted.filter((p) => !have.includes(p)).join(" ")})`);
  mkdirSync(REPO_DIR, { recursive: true });
  const names = await dependencies(wanted);
  // Virtual packages have no .deb; download what exists, one by one only on failure.
  const all = await $({ cwd: REPO_DIR })`apt-get download ${names}`.nothrow();
  if (all.exitCode !== 0) for (const n of names) await $({ cwd: REPO_DIR })`apt-get download ${n}`.nothrow();
  await $({ cwd: REPO_DIR })`sh -c ${"dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null && gzip -9kf Packages"}`;
  writeFileSync(marker, wanted.join(" "));
}
