/**
 * One drift run at a time per playbook + inventory on this control machine,
 * from reading the history to the GitHub report: two runs that overlapped
 * (a timer and a hand-started run) would both find no issue and open two,
 * and count each other's runs. The lock is a file made exclusively in the
 * (private) history directory, naming its holder's pid; one whose holder is
 * gone is taken over.
 */
import { openSync, closeSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { privateDir } from "../host/private-file.ts";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/**
 * Run `f` holding the lock of `dir`, waiting up to `waitMs` for another run to let go.
 *
 * @example
 * await withStateLock(historyDir(stateDir, fingerprint), 120_000, async () => { saveReport(…); await reportToGitHub(…); });
 */
export async function withStateLock<T>(dir: string, waitMs: number, f: () => Promise<T>): Promise<T> {
  privateDir(dir);
  const file = join(dir, ".lock");
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number(readFileSync(file, "utf8").trim() || 0);
      // A holder that died (kill -9) leaves its file: taken over. One still writing its pid is given a moment.
      if (holder > 0 && !alive(holder)) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another hoist drift run (pid ${holder || "?"}) has held ${file} for over ${waitMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await f();
  } finally {
    rmSync(file, { force: true });
  }
}
