/**
 * Schema types for values that reach a host's argv. Each admits only what
 * the value can legitimately be and never something that starts with `-`,
 * so no value can become an option of the command it is given to, whatever
 * a variable holds. They are checked when the playbook loads and again after
 * templates render, before anything reaches a host.
 *
 * @example
 * schema: { properties: { path: { ...absolutePath, description: "Path on the host." } } }
 */

/** A path on the host: absolute, so a command never takes it for an option or an expression (`find -delete`). */
export const absolutePath = { type: "string", pattern: "^/[^\\u0000]*$" } as const;

/** A Debian package, optionally `:arch` and `=version` (a trailing `*` matches a version prefix). */
export const debianPackage = { type: "string", pattern: "^[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+\\*?)?$" } as const;

/** A systemd unit name, without globs: `systemctl restart 'x-*'` would act on every matching unit. */
export const unitName = { type: "string", pattern: "^[A-Za-z0-9_:.@\\\\][A-Za-z0-9_:.@\\\\-]*$" } as const;

/** A user or group: a name as useradd allows it, or a numeric id. */
export const accountName = { type: "string", pattern: "^([A-Za-z_][A-Za-z0-9_.-]*\\$?|[0-9]+)$" } as const;

/**
 * The name of a user or group to create: shadow's default rule (useradd(8), NAME_REGEX), at
 * most 32 characters — never an option, a path or a number that would read as an id.
 */
export const newAccountName = { type: "string", pattern: "^[a-z_][a-z0-9_.-]{0,31}\\$?$" } as const;

/** A snap's name, as the store allows them. */
export const snapName = { type: "string", pattern: "^[a-z0-9][a-z0-9-]*$" } as const;

/** A snap file on the host: an absolute path ending in `.snap` (installed with `dangerous`). */
export const snapFile = { type: "string", pattern: "^/[^\\0\\n]*\\.snap$" } as const;

/** A snap channel: `[track/]risk[/branch]`. */
export const snapChannel = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._/-]*$" } as const;

/** An http(s) URL the host downloads from. */
export const httpUrl = { type: "string", pattern: "^https?://[^\\s]+$" } as const;
