/**
 * A configuration file a module owns wholly or in part (a sources list, a unit
 * file, a sysctl.d entry, /etc/fstab): read it once, compute the wanted text,
 * and return the content change and the atomic write that makes it.
 */
import type { Change, Probe, WriteStep } from "../../engine/module.ts";
import { holdsKeyMaterial } from "./key-material.ts";

/** What managing a file's content comes to: its changes, the write, and the text before and after. */
export interface FilePlan {
  changes: Change[];
  steps: WriteStep[];
  /** The content before, or null when the file does not exist. */
  before: string | null;
  /** The wanted content. */
  after: string;
}

/** How a managed file is written: its mode, and a command that checks the new content first. */
export interface FileOptions {
  mode?: string;
  /** Command checking the new file before it replaces the old; `%s` is the new file. */
  validate?: string[];
}

/**
 * Plan `path` to hold `want` (text, or an edit of the current text; "" when missing).
 *
 * @example
 * const f = await planFileContent(probe, "/etc/modules-load.d/br_netfilter.conf", "br_netfilter\n");
 * if (f.changes.length) steps.push(...f.steps);
 */
export async function planFileContent(probe: Probe, path: string, want: string | ((current: string) => string), options: FileOptions = {}): Promise<FilePlan> {
  const before = await probe.readFile(path);
  const after = typeof want === "string" ? want : want(before ?? "");
  if (before === after) return { changes: [], steps: [], before, after };
  return {
    changes: [{ field: "content", path, before, after, ...(holdsKeyMaterial(before, after) ? { sensitive: true } : {}) }],
    steps: [{ write: path, content: after, mode: options.mode ?? (before === null ? "0644" : undefined), validate: options.validate }],
    before,
    after,
  };
}
