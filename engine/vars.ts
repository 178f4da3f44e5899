/**
 * Variables: names and their values, as a playbook, an inventory or a
 * host's answers hold them. One declaration for the whole engine; scopes,
 * layers and rendering are in template/vars.ts.
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
