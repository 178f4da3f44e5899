/**
 * Files the control machine keeps for itself (gathered facts, remembered
 * answers, drift history, a timer's variables), written whole or not at all —
 * a fresh temporary file beside it, opened exclusively so nothing planted
 * there (a link) is written through, renamed over it — readable by its owner
 * only, in a directory only its owner can enter: what hosts answered may hold
 * their environment, and what is read back from such a directory is trusted.
 */
import { chmodSync, lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, resolve } from "node:path";

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdir spins for ever
 * where a parent refuses new entries in its own way (`/proc/x`).
 */
function makeDirs(dir: string): void {
  if (lstatSync(dir, { throwIfNoEntry: false })) return;
  const parent = dirname(dir);
  if (parent !== dir) makeDirs(parent);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

/** Why `dir` is no private directory of this user (a link, someone else's, open to others), or undefined when it is one. */
function notPrivate(dir: string, fixMode: boolean): string | undefined {
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) return `${dir} is not a directory`;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `${dir} belongs to uid ${st.uid}, not to this user (uid ${uid})`;
  if ((st.mode & 0o077) !== 0) {
    if (!fixMode) return `${dir} is open to other users (mode ${(st.mode & 0o777).toString(8)})`;
    chmodSync(dir, 0o700);
  }
  return undefined;
}

/**
 * Make `dir` (0700) or check it is this user's own, closing it to others
 * when it is ours; throws when it is a link or someone else's.
 *
 * @example
 * privateDir(join(homedir(), ".cache", "hoist", "remembered"));
 */
export function privateDir(dir: string): void {
  makeDirs(resolve(dir));
  const why = notPrivate(dir, true);
  if (why) throw new Error(`refusing to keep private files in ${dir}: ${why}`);
}

/**
 * True when what is in `dir` can be trusted: it is this user's and no one
 * else's (a cache in a directory others can write may hold what they put there).
 *
 * @example
 * if (trustedDir(cache.dir)) facts = JSON.parse(readFileSync(join(cache.dir, host), "utf8"));
 */
export function trustedDir(dir: string): boolean {
  try {
    return notPrivate(dir, false) === undefined;
  } catch {
    return false;
  }
}

/**
 * Write `text` to `file` (mode 0600, in a private directory: see privateDir).
 *
 * @example
 * writePrivateFile(join(cacheDir(), "remembered", "node1.json"), JSON.stringify(kept));
 */
export function writePrivateFile(file: string, text: string): void {
  privateDir(dirname(file));
  writeWholeFile(file, text);
}

/**
 * Write `text` to `file` whole, mode 0600, through a fresh temporary file
 * beside it (opened exclusively: never through what is planted there),
 * renamed over it; the directory is taken as it is (a timer's unit in
 * /etc/systemd/system).
 *
 * @example
 * writeWholeFile("/etc/cron.d/hoist-drift-0123456789abcdef", line);
 */
export function writeWholeFile(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: "wx" });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
