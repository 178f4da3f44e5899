/**
 * Errors that carry where in the user's input they come from, and the
 * "did you mean" helper every validator shares.
 */

/** A position in a file the user wrote; 1-based like editors show. */
export interface Where {
  file: string;
  line?: number;
  col?: number;
}

/**
 * Bad input (playbook, inventory, arguments). The CLI exits 4 on it before any
 * host is touched.
 *
 * @example
 * throw new InputError("unknown module 'fiel' (did you mean 'file'?)", { file: "site.yaml", line: 4, col: 7 });
 */
export class InputError extends Error {
  readonly where?: Where;
  constructor(message: string, where?: Where) {
    super(where ? `${formatWhere(where)}: ${message}` : message);
    this.name = "InputError";
    this.where = where;
  }
}

/**
 * `file:line:col` of a place in an input file, as every error about input names it.
 */
export function formatWhere(w: Where): string {
  if (w.line === undefined) return w.file;
  return `${w.file}:${w.line}:${w.col ?? 1}`;
}

/** Edit distance counting a swap of neighbours as one edit (typos are often swaps). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo.
 *
 * @example
 * nearest("fiel", ["file", "command"]) // "file"
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** " (did you mean 'x'?)" or "" — appended to messages about misspelt names. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const n = nearest(word, candidates);
  return n ? ` (did you mean '${n}'?)` : "";
}

/**
 * The message of anything thrown, without a stack trace: what the user is shown.
 */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The one way hoist says a command failed (zx's error formatting is the
 * model): what was run, its exit code, and what it said — stderr, or stdout
 * when stderr is empty — trimmed to its last lines.
 *
 * @example
 * commandFailure("systemctl show x.service", { code: 1, stdout: "", stderr: "Failed to connect to bus\n" })
 * // "systemctl show x.service failed (exit 1): Failed to connect to bus"
 */
export function commandFailure(what: string, r: { code: number; stdout: string; stderr: string }): string {
  const said = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-20).join("\n");
  return `${what} failed (exit ${r.code})${said ? `: ${said}` : ""}`;
}
