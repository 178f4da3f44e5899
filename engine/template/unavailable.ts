/**
 * Values a template may read that are not known yet: a host's facts before
 * they are gathered, or, in check mode, facts an earlier planned change makes
 * unknowable. Reading one throws; the task runner gathers and tries again, or
 * reports the task unknown. nunjucks turns what a getter throws into a new
 * Error carrying only the message, so the last one thrown is remembered here
 * and found again by its message (see `unavailableIn`).
 */

/** Facts of `host` (of one `gather_subset` group, or all) are read before they were gathered. */
export class FactsPending extends Error {
  constructor(
    readonly host: string,
    readonly group?: string,
  ) {
    super(`facts of '${host}'${group ? ` (${group})` : ""} are not gathered yet`);
    remember(this);
  }
}

/** Check mode: facts of `host` depend on a change planned but not applied. */
export class FactsUnknown extends Error {
  constructor(
    readonly host: string,
    readonly because: string,
  ) {
    super(`facts of '${host}' depend on ${because}`);
    remember(this);
  }
}

export type Unavailable = FactsPending | FactsUnknown;

let last: Unavailable | undefined;
function remember(e: Unavailable): void {
  last = e;
}

/**
 * The unavailable value behind a render error, when that is what stopped the render.
 *
 * @example
 * try { renderSource(t, vars) } catch (e) { throw unavailableIn(e) ?? e }
 */
export function unavailableIn(e: unknown): Unavailable | undefined {
  if (e instanceof FactsPending || e instanceof FactsUnknown) return e;
  const message = e instanceof Error ? e.message : String(e);
  return last && message.includes(last.message) ? last : undefined;
}
