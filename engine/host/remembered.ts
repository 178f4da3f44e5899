/**
 * The answers of remembered facts (see `RememberedFact`), kept on the control
 * machine across runs: per host, by fact key, the identity each was read at
 * and its value. One file per host under `$HOIST_CACHE_DIR` (else
 * `$XDG_CACHE_HOME/hoist`, else `~/.cache/hoist`) in `remembered/`, written
 * whole (temporary file, rename) and readable by its owner only. A broken or
 * missing file is an empty memory: the facts are read again.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { trustedDir, writePrivateFile } from "./private-file.ts";

interface Kept {
  identity: string;
  value: unknown;
}

const memories = new Map<string, Map<string, Kept>>();

/** Where remembered answers are kept. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HOIST_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "hoist");
}

const fileOf = (host: string) => join(cacheDir(), "remembered", `${createHash("sha256").update(host).digest("hex").slice(0, 32)}.json`);

function memoryOf(host: string): Map<string, Kept> {
  let memory = memories.get(host);
  if (memory) return memory;
  memory = new Map();
  try {
    // Kept answers are trusted (a digest stands for a file's content): only from a directory no one else can write.
    if (!trustedDir(dirname(fileOf(host)))) throw new Error("not a private directory");
    const saved = JSON.parse(readFileSync(fileOf(host), "utf8")) as Record<string, Kept>;
    for (const [key, kept] of Object.entries(saved)) if (typeof kept?.identity === "string" && kept.value != null) memory.set(key, kept);
  } catch {
    // Nothing kept yet, or a file that does not parse: read the facts again.
  }
  memories.set(host, memory);
  return memory;
}

/**
 * What was kept for `key` on `host`, if anything.
 *
 * @example
 * recall("node1", 'FileDigest {"path":"/usr/local/bin/etcd","algorithm":"sha256"}') // { identity: "2049:1234:…", value: "3b0c…" }
 */
export function recall(host: string, key: string): Kept | undefined {
  return memoryOf(host).get(key);
}

/**
 * Keep `value`, read at `identity`, for `key` on `host` (saved at once).
 *
 * @example
 * keep("node1", 'FileDigest {"path":"/usr/local/bin/etcd","algorithm":"sha256"}', "2049:1234:…", "3b0c…");
 */
export function keep(host: string, key: string, identity: string, value: unknown): void {
  const memory = memoryOf(host);
  const known = memory.get(key);
  if (known?.identity === identity && JSON.stringify(known.value) === JSON.stringify(value)) return;
  memory.set(key, { identity, value });
  try {
    writePrivateFile(fileOf(host), JSON.stringify(Object.fromEntries(memory)));
  } catch {
    // A cache that cannot be written costs the next run a read, nothing else.
  }
}
