/**
 * A file the control machine keeps for itself (a cache: gathered facts,
 * remembered answers), written whole or not at all — a temporary file beside
 * it, renamed over it — and readable by its owner only: what hosts answered
 * may hold their environment.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Write `text` to `file` (mode 0600; its directory made 0700 when missing).
 *
 * @example
 * writePrivateFile(join(cacheDir(), "remembered", "node1.json"), JSON.stringify(kept));
 */
export function writePrivateFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
