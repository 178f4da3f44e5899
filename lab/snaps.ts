/**
 * Snaps for the lab, built here: the snap store is unreachable from this
 * machine, so snapd in a lab host installs only snap files. Stand-ins, named
 * as such in their summaries: `snapd` (snapd wants a snap of type snapd
 * before any other), `bare` (an empty base), and `hello-lab` 1.0 and 2.0 (an
 * app on it). Plain squashfs images with a meta/snap.yaml, made with
 * mksquashfs; cached in the lab cache and bind-mounted read-only into hosts
 * booted with `snaps`, at /opt/hoist-lab/snaps.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { $ } from "zx";

/**
 * Where the lab keeps the snaps it builds (the snap store's stand-in).
 */
export const SNAPS_DIR = "/var/cache/hoist-lab/snaps-v2";

interface StandIn {
  file: string;
  yaml: string;
  files?: Record<string, string>;
}

const STAND_INS: StandIn[] = [
  { file: "snapd.snap", yaml: "name: snapd\nversion: 2.57.6\ntype: snapd\nsummary: stand-in snapd snap built by the hoist lab\ndescription: no store here\n" },
  {
    file: "bare.snap",
    yaml: "name: bare\nversion: '1.0'\ntype: base\nsummary: stand-in bare base built by the hoist lab\ndescription: an empty base\n",
    files: Object.fromEntries(["bin", "etc", "lib", "usr", "var", "tmp", "dev", "proc", "sys", "run", "home", "root", "snap"].map((d) => [`${d}/.keep`, ""])),
  },
  ...["1.0", "2.0"].map((version) => ({
    file: `hello-lab_${version}.snap`,
    yaml: `name: hello-lab\nversion: '${version}'\nbase: bare\nsummary: a snap built by the hoist lab\ndescription: stands in for a store snap\napps:\n  hello-lab:\n    command: bin/hello\n`,
    files: { "bin/hello": `#!/bin/sh\necho hello ${version}\n` },
  })),
];

/**
 * The stand-in snaps, built when missing; returns their directory.
 *
 * @example
 * await ensureSnaps(console.log); // /var/cache/hoist-lab/snaps-v1/hello-lab_1.0.snap …
 */
export async function ensureSnaps(log: (s: string) => void): Promise<string> {
  if (STAND_INS.every((s) => existsSync(join(SNAPS_DIR, s.file)))) return SNAPS_DIR;
  log("building the lab's stand-in snaps (snapd, bare, hello-lab) with mksquashfs");
  mkdirSync(SNAPS_DIR, { recursive: true });
  for (const s of STAND_INS) {
    const root = mkdtempSync(join(tmpdir(), "hoist-snap-"));
    try {
      // snapd refuses a snap whose root is not world-readable (mkdtemp makes it 0700).
      chmodSync(root, 0o755);
      mkdirSync(join(root, "meta"));
      writeFileSync(join(root, "meta", "snap.yaml"), s.yaml);
      for (const [path, text] of Object.entries(s.files ?? {})) {
        mkdirSync(join(root, path, ".."), { recursive: true });
        writeFileSync(join(root, path), text, { mode: path.startsWith("bin/") ? 0o755 : 0o644 });
      }
      const out = join(SNAPS_DIR, `${s.file}.tmp`);
      await $`mksquashfs ${root} ${out} -noappend -comp xz -no-xattrs -all-root -quiet`;
      renameSync(out, join(SNAPS_DIR, s.file));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return SNAPS_DIR;
}
