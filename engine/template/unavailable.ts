/**
 * Values a template may read that are not known yet: a host's facts before
 * they are gathered, or, in check mode, facts an earlier planned change makes
 * unknowable. Reading one throws; the task runner gathers and tries again, or
 * reports the task unknown. The interpreter lets what a getter throws pass
 * through; a variable rendered inside another's template may wrap it as the
 * `cause` of its own error, so `unavailableIn` finds it by walking the causes,
 * never by a message.
 */

/** Facts of `host` (of one `gather_subset` group, or all) are read before they were gathered. */
export class FactsPending extends Error {
  constructor(
    readonly host: string,
    readonly group?: string,
  ) {
    super(`facts of '${host}'${group ? ` (${group})` : ""} are not gathered yet`);
  }
}

/** Check mode: facts of `host` depend on a change planned but not applied. */
export class FactsUnknown extends Error {
  constructor(
    readonly host: string,
    readonly because: string,
  ) {
    super(`facts of '${host}' depend on ${because}`);
  }
}

/**
 * A value a template read that is not known yet: facts not gathered, or facts check mode cannot
 * know.
 */
export type Unavailable = FactsPending | FactsUnknown;

/**
 * The unavailable value behind a render error, when that is what stopped the render.
 *
 * @example
 * try { renderSource(t, vars) } catch (e) { throw unavailableIn(e) ?? e }
 */
export function unavailableIn(e: unknown): Unavailable | undefined {
  // A chain of causes: a template's variable rendered inside another template's.
  for (let cause = e, depth = 0; cause instanceof Error && depth < 64; cause = cause.cause, depth++) {
    if (cause instanceof FactsPending || cause instanceof FactsUnknown) return cause;
  }
  return undefined;
}
