/**
 * haproxy's configuration as data: sections (`global`, `defaults`,
 * `frontend`/`backend`/`listen` by name) of directives, rendered to the text
 * haproxy reads. A directive's value is a string or number (`maxconn 4096`),
 * true (a bare keyword: `option httplog` is `option: httplog`, but `daemon: true`),
 * or a list for a directive that repeats (`server`, `bind`, `timeout`).
 */
export type Directives = Record<string, string | number | boolean | null | (string | number)[]>;

/** A haproxy configuration as data: the global and defaults sections, and frontends, backends and listen sections by name. */
export interface HaproxySections {
  global?: Directives;
  defaults?: Directives;
  frontends?: Record<string, Directives>;
  backends?: Record<string, Directives>;
  listen?: Record<string, Directives>;
}

/** What a directive name and a section name may hold: they are written into the file as they are. */
export const NAME = "^[A-Za-z0-9_.:][A-Za-z0-9_.:-]*$";

function section(header: string, directives: Directives = {}): string {
  const lines = [header];
  for (const [key, value] of Object.entries(directives)) {
    if (value === null || value === false) continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(v === true ? `    ${key}` : `    ${key} ${v}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The configuration file's text, sections in haproxy's usual order.
 *
 * @example
 * renderConfig({ global: { maxconn: 100 }, backends: { web: { server: ["w1 10.0.0.1:80 check"] } } })
 * // "# managed by hoist\nglobal\n    maxconn 100\n\nbackend web\n    server w1 10.0.0.1:80 check\n"
 */
export function renderConfig(c: HaproxySections): string {
  const parts = [
    ...(c.global ? [section("global", c.global)] : []),
    ...(c.defaults ? [section("defaults", c.defaults)] : []),
    ...Object.entries(c.frontends ?? {}).map(([name, d]) => section(`frontend ${name}`, d)),
    ...Object.entries(c.backends ?? {}).map(([name, d]) => section(`backend ${name}`, d)),
    ...Object.entries(c.listen ?? {}).map(([name, d]) => section(`listen ${name}`, d)),
  ];
  return `# managed by hoist\n${parts.join("\n")}`;
}

/** A value that would break out of its line (a newline) or hold NUL. */
export function badValue(c: HaproxySections): string | undefined {
  const all = [c.global, c.defaults, ...Object.values(c.frontends ?? {}), ...Object.values(c.backends ?? {}), ...Object.values(c.listen ?? {})];
  for (const d of all)
    for (const [k, v] of Object.entries(d ?? {}))
      for (const x of Array.isArray(v) ? v : [v]) if (typeof x === "string" && /[\n\r\0]/.test(x)) return `${k}: a value cannot hold a line break`;
  return undefined;
}
