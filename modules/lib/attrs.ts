/**
 * File mode/owner/group helpers shared by modules that manage files.
 */
import type { Change, Stat, Step } from "../../engine/module.ts";

/**
 * Normalise a mode to four octal digits. A string is octal digits; a number is
 * the mode's value, as Ansible takes it (YAML 1.1 reads `0644` as 420, octal
 * 644; an unquoted `644` is the decimal 644, octal 1204 — quote modes).
 *
 * @example
 * normalizeMode(0o644) // "0644"; normalizeMode("644") // "0644"; normalizeMode("u+x") throws
 */
export function normalizeMode(mode: string | number | undefined): string | undefined {
  if (mode === undefined) return undefined;
  // A number is the mode's value, as Ansible takes it: `mode: 0644` is YAML 1.1's octal 420, which is 0644.
  const text = typeof mode === "number" ? mode.toString(8) : mode;
  if (!/^0?[0-7]{3,4}$/.test(text)) throw new Error(`mode must be octal digits like '0644', got '${text}'`);
  return text.replace(/^0(?=[0-7]{4}$)/, "").padStart(4, "0");
}

/** The attributes a path should have (unset: left as they are). */
export interface Attrs {
  mode?: string;
  owner?: string;
  group?: string;
}

/** Changes and steps to bring an existing path's attributes to `want`. */
export function attributeFixes(path: string, stat: Stat, want: Attrs): { changes: Change[]; steps: Step[] } {
  const changes: Change[] = [];
  const steps: Step[] = [];
  if (want.mode && stat.mode !== want.mode) {
    changes.push({ field: "mode", path, before: stat.mode, after: want.mode });
    steps.push({ run: ["chmod", want.mode, "--", path], touches: [path] });
  }
  if (want.owner && stat.owner !== want.owner) {
    changes.push({ field: "owner", path, before: stat.owner, after: want.owner });
    steps.push({ run: ["chown", want.owner, "--", path], touches: [path] });
  }
  if (want.group && stat.group !== want.group) {
    changes.push({ field: "group", path, before: stat.group, after: want.group });
    steps.push({ run: ["chgrp", want.group, "--", path], touches: [path] });
  }
  return { changes, steps };
}
