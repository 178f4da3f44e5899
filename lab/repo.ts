/**
 * The lab's own apt repository: the .debs that tests and playbooks install,
 * downloaded once on the control machine through its normal apt client and
 * indexed with dpkg-scanpackages, then bind-mounted into every lab host — as an
 * air-gapped site runs its own mirror.
 */
import { existsSync, mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { $ } from "zx";

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

export async function ensureRepo(log: (s: string) => void): Promise<void> {
  const marker = join(REPO_DIR, ".packages");
  if (existsSync(marker) && readFileSync(marker, "utf8") === REPO_PACKAGES.join(" ")) return;
  log(`building the lab apt repository in ${REPO_DIR}`);
  mkdirSync(REPO_DIR, { recursive: true });
  const names = await dependencies(REPO_PACKAGES);
  // Virtual packages have no .deb; download what exists, one by one only on failure.
  const all = await $({ cwd: REPO_DIR })`apt-get download ${names}`.nothrow();
  if (all.exitCode !== 0) for (const n of names) await $({ cwd: REPO_DIR })`apt-get download ${n}`.nothrow();
  await $({ cwd: REPO_DIR })`sh -c ${"dpkg-scanpackages --multiversion . /dev/null > Packages 2>/dev/null && gzip -9kf Packages"}`;
  writeFileSync(marker, REPO_PACKAGES.join(" "));
}
