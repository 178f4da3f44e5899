/**
 * Python's `re` syntax, which Ansible's regex filters and tests take, in
 * JavaScript's: named groups `(?P<n>…)` and `(?P=n)`, `\A` and `\Z`, inline
 * flags at the start (`(?i)`), and replacement strings `\1`, `\g<1>`,
 * `\g<name>`, in which a `$` means itself.
 */
import { TemplateError } from "./errors.ts";

/**
 * A Python pattern as a JavaScript RegExp.
 *
 * @example
 * pythonRegex("(?P<v>\\d+)\\Z", "").exec("a 12")?.groups?.v // "12"
 */
export function pythonRegex(pattern: string, flags: string): RegExp {
  let source = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const f of inline[1]) if ("ims".includes(f) && !flags.includes(f)) flags += f;
  }
  source = source
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, "(?<$1>")
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, "\\k<$1>")
    .replace(/(^|[^\\])\\A/g, "$1^(?<![\\s\\S])")
    .replace(/(^|[^\\])\\Z/g, "$1(?![\\s\\S])");
  try {
    return new RegExp(source, flags.includes("u") ? flags : `${flags}u`);
  } catch {
    try {
      return new RegExp(source, flags.replace("u", ""));
    } catch (e) {
      throw new TemplateError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
    }
  }
}

/**
 * A Python replacement string (`\1`, `\g<name>`) as a function of a match.
 *
 * @example
 * "ab".replace(/(a)/, pythonReplacement("<\\1>")) // "<a>b"
 */
export function pythonReplacement(replacement: string): (match: string, ...rest: unknown[]) => string {
  return (match: string, ...rest: unknown[]) => {
    const hasGroups = typeof rest[rest.length - 1] === "object" && rest[rest.length - 1] !== null;
    const named = (hasGroups ? rest[rest.length - 1] : {}) as Record<string, string | undefined>;
    const groups = rest.slice(0, hasGroups ? -3 : -2) as (string | undefined)[];
    const group = (ref: string) => {
      if (/^\d+$/.test(ref)) {
        const i = Number(ref);
        if (i === 0) return match;
        if (i > groups.length) throw new TemplateError(`invalid group reference ${i}`);
        return groups[i - 1] ?? "";
      }
      if (!Object.hasOwn(named, ref)) throw new TemplateError(`unknown group name '${ref}'`);
      return named[ref] ?? "";
    };
    return replacement.replace(/\\g<([^>]+)>|\\(\d{1,2})|\\([\\ntr])/g, (_whole, g: string, n: string, esc: string) => {
      if (g !== undefined) return group(g);
      if (n !== undefined) return group(n);
      return { "\\": "\\", n: "\n", t: "\t", r: "\r" }[esc]!;
    });
  };
}
