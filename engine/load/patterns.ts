/**
 * Ansible host patterns: `all`, `*`, `web*`, `~regex`, `group`, `host`,
 * `a:b` / `a,b` (union), `a:&b` (intersection), `a:!b` (exclusion) and
 * subscripts `group[0]`, `group[1:3]`, `group[-1]`.
 */
import { InputError, didYouMean } from "../errors.ts";

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    "^" +
      glob
        .replace(/[.+^${}()|\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".") +
      "$",
  );
}

function splitPattern(pattern: string): string[] {
  // ':' separates terms except inside [a:b] subscripts; IPv6 is not a concern for names here.
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of pattern) {
    if (c === "[") depth++;
    if (c === "]") depth--;
    if ((c === ":" || c === ",") && depth === 0) {
      if (current.trim()) terms.push(current.trim());
      current = "";
    } else current += c;
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

function subscript(hosts: string[], spec: string): string[] {
  const m = /^(-?\d*)(?::(-?\d*))?$/.exec(spec);
  if (!m) throw new InputError(`invalid subscript [${spec}] in host pattern`);
  const at = (s: string, dflt: number) => (s === "" ? dflt : Number(s) < 0 ? hosts.length + Number(s) : Number(s));
  if (m[2] === undefined) {
    const i = at(m[1], 0);
    return hosts[i] === undefined ? [] : [hosts[i]];
  }
  return hosts.slice(at(m[1], 0), at(m[2], hosts.length - 1) + 1);
}

/**
 * Resolve a host pattern to host names, in inventory order.
 *
 * @example
 * matchHosts("masters:&prod:!node2", groups, hosts)
 */
export function matchHosts(pattern: string, groups: Record<string, string[]>, allHosts: string[]): string[] {
  const resolveTerm = (term: string): string[] => {
    const sub = /^(.*)\[([^\]]*)\]$/.exec(term);
    if (sub && !term.startsWith("~")) return subscript(resolveTerm(sub[1]), sub[2]);
    if (term === "all" || term === "*") return allHosts;
    if (term.startsWith("~")) {
      let re: RegExp;
      try {
        re = new RegExp(term.slice(1));
      } catch (e) {
        throw new InputError(`host pattern '${term}': invalid regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`);
      }
      return allHosts.filter((h) => re.test(h));
    }
    if (groups[term]) return groups[term];
    if (allHosts.includes(term)) return [term];
    if (/[*?]/.test(term)) {
      const re = globToRegExp(term);
      const fromGroups = Object.keys(groups)
        .filter((g) => re.test(g))
        .flatMap((g) => groups[g]);
      return [...new Set([...allHosts.filter((h) => re.test(h)), ...fromGroups])];
    }
    throw new InputError(`host pattern '${term}' matches no group or host${didYouMean(term, [...Object.keys(groups), ...allHosts])}`);
  };
  let selected = new Set<string>();
  const intersections: string[][] = [];
  const exclusions: string[][] = [];
  for (const term of splitPattern(pattern)) {
    if (term.startsWith("&")) intersections.push(resolveTerm(term.slice(1)));
    else if (term.startsWith("!")) exclusions.push(resolveTerm(term.slice(1)));
    else resolveTerm(term).forEach((h) => selected.add(h));
  }
  for (const i of intersections) selected = new Set([...selected].filter((h) => i.includes(h)));
  for (const e of exclusions) e.forEach((h) => selected.delete(h));
  return allHosts.filter((h) => selected.has(h));
}
