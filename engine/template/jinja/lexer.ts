/**
 * Jinja2's lexer, as Ansible configures it: `{{ }}`, `{% %}`, `{# #}`,
 * whitespace control with `-` and `+`, `trim_blocks` on (the first newline
 * after a tag or comment goes), `lstrip_blocks` off, `{% raw %}` verbatim.
 * Inside a tag, a closing `}}` or `%}` ends it only when brackets are
 * balanced, so `{{ {'a': {'b': 1}} }}` is one dict, as in Jinja2.
 */
import { TemplateSyntaxError } from "./errors.ts";

/**
 * One token: text between tags, a tag's start or end, or a piece of an expression.
 *
 * @example
 * const t: Token = { type: "name", value: "x", line: 1 };
 */
export interface Token {
  type: "data" | "var_begin" | "var_end" | "block_begin" | "block_end" | "name" | "string" | "integer" | "float" | "op" | "eof";
  value: string;
  line: number;
}

/**
 * Settings a template file's `#jinja2:` line may change (Ansible's defaults: trim_blocks on, lstrip_blocks off).
 *
 * @example
 * const o: LexOptions = { lstripBlocks: true };
 */
export interface LexOptions {
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  keepTrailingNewline?: boolean;
  /** Template files: string literals read Python's backslash escapes (`'\n'` is a newline); strings from YAML keep them as written, as Ansible's `escape_backslashes` does. */
  stringEscapes?: boolean;
}

/** Operators, longest first so that `//` is not read as two `/`. */
const OPERATORS = ["**", "//", "==", "!=", ">=", "<=", "+", "-", "*", "/", "%", "~", "[", "]", "(", ")", "{", "}", ">", "<", "=", ".", ":", "|", ",", ";"];
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const FLOAT = /(?:\d(?:_?\d)*\.\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*[eE][+-]?\d(?:_?\d)*)/y;
const INTEGER = /(?:0[bB][01_]+|0[oO][0-7_]+|0[xX][0-9a-fA-F_]+|\d(?:_?\d)*)/y;
const STRING = /'(?:[^'\\]|\\[\s\S])*'|"(?:[^"\\]|\\[\s\S])*"/y;
const RAW_BEGIN = /\{%([-+]?)\s*raw\s*([-+]?)%\}/y;
const RAW_END = /\{%([-+]?)\s*endraw\s*([-+]?)%\}/g;

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", v: "\v", "\n": "" };

/** A string literal's value, with Python's backslash escapes. */
function unescapeString(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, (whole, e: string) => {
    if (/^[xuU]./.test(e)) return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCodePoint(Number.parseInt(e, 8));
    return ESCAPES[e] ?? whole;
  });
}

const lineAt = (source: string, pos: number): number => {
  let n = 1;
  for (let i = 0; i < pos; i++) if (source.charCodeAt(i) === 10) n++;
  return n;
};

/**
 * The tokens of a template.
 *
 * @example
 * tokenize("a {{ b }}").map((t) => t.type) // ["data", "var_begin", "name", "var_end", "eof"]
 */
export function tokenize(source: string, options: LexOptions = {}): Token[] {
  // Jinja2 drops the template's own final newline (keep_trailing_newline off); template.ts gives it back as Ansible does.
  if (!options.keepTrailingNewline) source = source.replace(/\r?\n$/, "");
  const trimBlocks = options.trimBlocks ?? true;
  const lstripBlocks = options.lstripBlocks ?? false;
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  /** Set when the previous tag ended with `-`: the next text loses its leading whitespace. */
  let stripNext = false;
  /** Set after a block tag or comment without `-`: trim_blocks drops one newline. */
  let trimNext = false;
  /** `lstrip`: `-` before the tag; `lineStart`: lstrip_blocks applies (a block tag or comment with only spaces before it on its line). */
  const pushData = (text: string, lstrip: boolean, lineStart = false) => {
    if (stripNext) text = text.replace(/^\s+/, "");
    else if (trimNext && trimBlocks) text = text.replace(/^\r?\n/, "");
    if (lstrip) text = text.replace(/\s+$/, "");
    else if (lineStart) text = text.replace(/[ \t]+$/, "");
    stripNext = trimNext = false;
    if (text) tokens.push({ type: "data", value: text, line });
  };
  /** lstrip_blocks: only spaces or tabs stand between the line's start (within the current text) and the tag. */
  const startsLine = (start: number) => {
    if (!lstripBlocks) return false;
    const lineBegin = source.lastIndexOf("\n", start - 1) + 1;
    return lineBegin >= pos && /^[ \t]*$/.test(source.slice(lineBegin, start));
  };
  while (pos < source.length) {
    const next = source.slice(pos).search(/\{[{%#]/);
    if (next < 0) {
      pushData(source.slice(pos), false);
      break;
    }
    const start = pos + next;
    const opener = source.slice(start, start + 2);
    const modifier = source[start + 2];
    const text = source.slice(pos, start);
    RAW_BEGIN.lastIndex = start;
    const raw = RAW_BEGIN.exec(source);
    if (raw) {
      pushData(text, raw[1] === "-", raw[1] !== "+" && startsLine(start));
      line = lineAt(source, start);
      RAW_END.lastIndex = RAW_BEGIN.lastIndex;
      const end = RAW_END.exec(source);
      if (!end) throw new TemplateSyntaxError("missing end of raw directive", line);
      let body = source.slice(RAW_BEGIN.lastIndex, end.index);
      if (raw[2] === "-") body = body.replace(/^\s+/, "");
      if (end[1] === "-") body = body.replace(/\s+$/, "");
      if (body) tokens.push({ type: "data", value: body, line });
      pos = RAW_END.lastIndex;
      stripNext = end[2] === "-";
      trimNext = !stripNext && end[2] !== "+";
      continue;
    }
    pushData(text, modifier === "-", opener !== "{{" && modifier !== "+" && startsLine(start));
    line = lineAt(source, start);
    if (opener === "{#") {
      const close = source.indexOf("#}", start + 2);
      if (close < 0) throw new TemplateSyntaxError("missing end of comment tag", line);
      stripNext = source[close - 1] === "-";
      trimNext = !stripNext && source[close - 1] !== "+";
      pos = close + 2;
      continue;
    }
    const isVar = opener === "{{";
    tokens.push({ type: isVar ? "var_begin" : "block_begin", value: opener, line });
    pos = start + 2 + (modifier === "-" || modifier === "+" ? 1 : 0);
    const end = lexExpression(source, pos, isVar ? "}}" : "%}", tokens, line, options.stringEscapes ?? false);
    line = lineAt(source, end.pos);
    tokens.push({ type: isVar ? "var_end" : "block_end", value: isVar ? "}}" : "%}", line });
    stripNext = end.strip;
    trimNext = !isVar && !end.strip && !end.keep;
    pos = end.pos;
  }
  tokens.push({ type: "eof", value: "", line });
  return tokens;
}

/** Expression tokens up to the closing delimiter (when brackets balance); returns where the text resumes. */
function lexExpression(
  source: string,
  pos: number,
  closer: string,
  tokens: Token[],
  line: number,
  escapes: boolean,
): { pos: number; strip: boolean; keep: boolean } {
  const balance: string[] = [];
  while (true) {
    while (pos < source.length && /\s/.test(source[pos])) {
      if (source[pos] === "\n") line++;
      pos++;
    }
    if (pos >= source.length) throw new TemplateSyntaxError(`unexpected end of template, expected '${closer}'`, line);
    if (balance.length === 0) {
      for (const mark of ["-", "+", ""]) {
        if (source.startsWith(mark + closer, pos)) return { pos: pos + mark.length + 2, strip: mark === "-", keep: mark === "+" };
      }
    }
    const at = (re: RegExp) => {
      re.lastIndex = pos;
      return re.exec(source)?.[0];
    };
    let m: string | undefined;
    if ((m = at(STRING)) !== undefined) {
      // Ansible's Jinja2 keeps a string literal's backslashes as written (`'a\nb'` is four characters): YAML has already read the escapes.
      tokens.push({ type: "string", value: escapes ? unescapeString(m.slice(1, -1)) : m.slice(1, -1), line });
      line += m.split("\n").length - 1;
    } else if ((m = at(FLOAT)) !== undefined) tokens.push({ type: "float", value: m.replace(/_/g, ""), line });
    else if ((m = at(INTEGER)) !== undefined) tokens.push({ type: "integer", value: m.replace(/_/g, ""), line });
    else if ((m = at(NAME)) !== undefined) tokens.push({ type: "name", value: m, line });
    else {
      m = OPERATORS.find((op) => source.startsWith(op, pos));
      if (m === undefined) throw new TemplateSyntaxError(`unexpected char ${JSON.stringify(source[pos])}`, line);
      if (m === "(" || m === "[" || m === "{") balance.push(m);
      else if (m === ")" || m === "]" || m === "}") {
        const open = balance.pop();
        if (open === undefined || "([{"[")]}".indexOf(m)] !== open) throw new TemplateSyntaxError(`unexpected '${m}'`, line);
      }
      tokens.push({ type: "op", value: m, line });
    }
    pos += m.length;
  }
}
