/**
 * Glob patterns matched in linear time: `*` (any run without `/`), `**` (any
 * run, `**` followed by `/` also nothing), `?` (one character but `/`),
 * `[abc]`, `[a-z]`, `[!x]` and `{a,b}` (at most 64 alternatives). Hand-written
 * because picomatch, like every glob library that compiles to a JavaScript
 * regular expression, backtracks: a rule such as `*a*a*a*a*a*b` took minutes
 * on a long resource name a host chose. Here the pattern is simulated as a
 * set of states over the text, so a match costs at most pattern × text steps.
 *
 * @example
 * ```ts
 * import { globMatcher } from "./glob.ts";
 * const m = globMatcher("k8s:Deployment/*\/{api,web}");
 * if (!m("k8s:Deployment/prod/api") || m("k8s:Deployment/a/b/api")) throw new Error("example");
 * ```
 */

type Token =
  | { kind: "char"; test: (c: string) => boolean }
  | { kind: "star" } // within one segment
  | { kind: "globstar" } // across segments
  | { kind: "globstar-slash" }; // `**/`: nothing, or anything ending in `/`

const MAX_ALTERNATIVES = 64;

/** `{a,b}` expanded, innermost first; more than MAX_ALTERNATIVES is refused. */
function expandBraces(pattern: string): string[] {
  const m = /\{([^{}]*)\}/.exec(pattern);
  if (!m?.[1].includes(",")) return [pattern];
  const out = m[1].split(",").flatMap((alt) => expandBraces(pattern.slice(0, m.index) + alt + pattern.slice(m.index + m[0].length)));
  if (out.length > MAX_ALTERNATIVES) throw new Error(`the pattern ${pattern} has more than ${MAX_ALTERNATIVES} alternatives`);
  return out;
}

function tokens(pattern: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          out.push({ kind: "globstar-slash" });
        } else out.push({ kind: "globstar" });
      } else out.push({ kind: "star" });
    } else if (c === "?") out.push({ kind: "char", test: (x) => x !== "/" });
    else if (c === "[" && pattern.indexOf("]", i + 2) > 0) {
      const end = pattern.indexOf("]", i + 2);
      const body = pattern.slice(i + 1, end);
      const negate = body[0] === "!" || body[0] === "^";
      const set = negate ? body.slice(1) : body;
      const ranges: [string, string][] = [];
      for (let j = 0; j < set.length; j++) {
        if (set[j + 1] === "-" && j + 2 < set.length) {
          ranges.push([set[j], set[j + 2]]);
          j += 2;
        } else ranges.push([set[j], set[j]]);
      }
      out.push({ kind: "char", test: (x) => x !== "/" && ranges.some(([a, b]) => x >= a && x <= b) !== negate });
      i = end;
    } else {
      const literal = c === "\\" && i + 1 < pattern.length ? pattern[++i] : c;
      out.push({ kind: "char", test: (x) => x === literal });
    }
  }
  return out;
}

/** One alternative as a state-set simulation. State i: before token i; `inner` states: inside a `**\/`. */
function simulate(toks: Token[]): (text: string) => boolean {
  const closure = (states: Set<number>) => {
    // Wildcards may match nothing: their next token is reachable at once.
    for (let i = 0; i < toks.length; i++) if (states.has(i) && toks[i].kind !== "char") states.add(i + 1);
    return states;
  };
  return (text) => {
    let now = closure(new Set([0]));
    let inner = new Set<number>();
    for (const c of text) {
      const next = new Set<number>();
      const nextInner = new Set<number>();
      for (const i of now) {
        const t = toks[i];
        if (!t) continue;
        if (t.kind === "char" && t.test(c)) next.add(i + 1);
        else if (t.kind === "star" && c !== "/") next.add(i);
        else if (t.kind === "globstar") next.add(i);
        else if (t.kind === "globstar-slash") {
          nextInner.add(i);
          if (c === "/") next.add(i + 1);
        }
      }
      for (const i of inner) {
        nextInner.add(i);
        if (c === "/") next.add(i + 1);
      }
      now = closure(next);
      inner = nextInner;
      if (now.size === 0 && inner.size === 0) return false;
    }
    return now.has(toks.length);
  };
}

/**
 * A test of whole strings against `pattern`.
 *
 * @example
 * globMatcher("site.yaml:*")("site.yaml:12:7") // true
 */
export function globMatcher(pattern: string): (text: string) => boolean {
  // As picomatch: `a/**` matches `a` too; nothing matches the empty text.
  const expanded = expandBraces(pattern).flatMap((p) => (p.endsWith("/**") ? [p, p.slice(0, -3)] : [p]));
  const alternatives = expanded.map((p) => simulate(tokens(p)));
  return (text) => text !== "" && alternatives.some((m) => m(text));
}
