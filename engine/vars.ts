/**
 * Variables: names and their values, as a playbook, an inventory or a
 * host's answers hold them. One declaration for the whole engine; scopes,
 * layers and rendering are in template/vars.ts. Besides names, variables
 * carry one entry of the engine's own, under a symbol: the run's secrets.
 *
 * @example
 * ```ts
 * import type { Vars } from "./vars.ts";
 * const vars: Vars = { http_port: 80, packages: ["haproxy"] };
 * if (vars.http_port !== 80) throw new Error("example");
 * ```
 */

/**
 * A mapping of variable names to values.
 *
 * @example
 * ```ts
 * import type { Vars } from "./vars.ts";
 * const none: Vars = {};
 * if (Object.keys(none).length) throw new Error("example");
 * ```
 */
export type Vars = Record<string, unknown>;

/**
 * Where a run keeps the values its password lookups made or read: a
 * symbol-keyed entry of the variables (the run's magic variables hold it,
 * and every scope built on them carries it), so the run's redaction pass
 * hides them wherever they appear, and nothing outlives the run.
 *
 * @example
 * ```ts
 * import { RUN_SECRETS } from "./vars.ts";
 * const secrets = new Set<string>();
 * const vars = { [RUN_SECRETS]: secrets }; // lookup('password', …) adds what it makes
 * if (vars[RUN_SECRETS] !== secrets) throw new Error("example");
 * ```
 */
export const RUN_SECRETS: unique symbol = Symbol("hoist: secrets this run's lookups made");
