/**
 * File mode/owner/group helpers shared by modules that manage files.
 */
import type { Change, Stat, Step } from "../../engine/module.ts";

/**
 * Normalise a mode to four octal digits. YAML 1.2 reads `0644` as the number
 * 644, so numbers are taken digit by digit, as the user wrote them.
 *
 * @example
 * normalizeMode(644) // "0644"; normalizeMode("u+x") throws
 */
export function normalizeMode(mode: string | number | undefined): string | undefined {
  if (mode === undefined) return undefined;
  const text = String(mode);
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
