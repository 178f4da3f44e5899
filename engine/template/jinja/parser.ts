/**
 * Jinja2's grammar (`jinja2/parser.py`), read from tokens into the tree of
 * ast.ts: the same precedence (filters and tests bind tighter than
 * arithmetic, `~` between `+` and `*`), the same statements Ansible leaves
 * enabled (`if`, `for … if … else`, `set` and block `set`, `macro`, `call`,
 * `filter`, `with`, `include`, `raw`). Template inheritance and `import` are
 * refused with their name: Ansible roles do not use them.
 */
import type { Args, Expr, Node, Param, Target } from "./ast.ts";
import { TemplateSyntaxError } from "./errors.ts";
import { tokenize, type LexOptions, type Token } from "./lexer.ts";
import { pyFloat } from "./values.ts";

const COMPARE = new Set(["==", "!=", ">", ">=", "<", "<="]);
const CONSTANTS: Record<string, unknown> = { true: true, false: false, none: null, True: true, False: false, None: null };

class Parser {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  private get current(): Token {
    return this.tokens[this.i];
  }
  private look(offset = 1): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }
  private next(): Token {
    return this.tokens[this.i++];
  }
  private is(type: Token["type"], value?: string): boolean {
    return this.current.type === type && (value === undefined || this.current.value === value);
  }
  private skip(type: Token["type"], value?: string): boolean {
    if (!this.is(type, value)) return false;
    this.i++;
    return true;
  }
  private fail(message: string): never {
    throw new TemplateSyntaxError(message, this.current.line);
  }
  private expect(type: Token["type"], value?: string): Token {
    if (!this.is(type, value)) {
      const found = this.current.type === "eof" ? "end of template" : `'${this.current.value || this.current.type}'`;
      this.fail(`expected ${value ? `'${value}'` : type}, found ${found}`);
    }
    return this.next();
  }

  /** Nodes until one of `ends` (a block tag name) is next; that tag's name is left to read. */
  subparse(ends: string[]): Node[] {
    const body: Node[] = [];
    let output: (Expr | { type: "Data"; text: string })[] = [];
    const flush = () => {
      if (output.length) body.push({ type: "Output", nodes: output });
      output = [];
    };
    while (!this.is("eof")) {
      const t = this.next();
      if (t.type === "data") output.push({ type: "Data", text: t.value });
      else if (t.type === "var_begin") {
        output.push(this.expression());
        this.expect("var_end");
      } else if (t.type === "block_begin") {
        if (this.is("name") && ends.includes(this.current.value)) {
          flush();
          return body;
        }
        flush();
        body.push(this.statement());
      } else this.fail(`unexpected '${t.value}'`);
    }
    if (ends.length) this.fail(`unexpected end of template, expected ${ends.map((e) => `'${e}'`).join(" or ")}`);
    flush();
    return body;
  }

  private endTag(name: string): void {
    this.expect("name", name);
    this.expect("block_end");
  }

  private statement(): Node {
    const tag = this.expect("name").value;
    switch (tag) {
      case "if":
        return this.ifStatement();
      case "for":
        return this.forStatement();
      case "set":
        return this.setStatement();
      case "macro": {
        const name = this.expect("name").value;
        const params = this.params();
        this.expect("block_end");
        const body = this.subparse(["endmacro"]);
        this.endTag("endmacro");
        return { type: "Macro", name, params, body };
      }
      case "call": {
        const params = this.is("op", "(") ? this.params() : [];
        const call = this.expression();
        if (call.type !== "Call") this.fail("expected a call");
        this.expect("block_end");
        const body = this.subparse(["endcall"]);
        this.endTag("endcall");
        return { type: "CallBlock", call, params, body };
      }
      case "filter": {
        const filters = this.filterChain();
        this.expect("block_end");
        const body = this.subparse(["endfilter"]);
        this.endTag("endfilter");
        return { type: "FilterBlock", filters, body };
      }
      case "with": {
        const targets: [Target, Expr][] = [];
        while (!this.is("block_end")) {
          if (targets.length) this.expect("op", ",");
          const target = this.target(false);
          this.expect("op", "=");
          targets.push([target, this.expression()]);
        }
        this.expect("block_end");
        const body = this.subparse(["endwith"]);
        this.endTag("endwith");
        return { type: "With", targets, body };
      }
      case "block": {
        // Without `extends` (which hoist refuses) a block is its body, rendered where it stands.
        const name = this.expect("name").value;
        this.skip("name", "scoped");
        this.expect("block_end");
        const body = this.subparse(["endblock"]);
        this.expect("name", "endblock");
        this.skip("name", name);
        this.expect("block_end");
        return { type: "With", targets: [], body };
      }
      case "include": {
        const template = this.expression();
        let ignoreMissing = false;
        let withContext = true;
        if (this.is("name", "ignore") && this.look().value === "missing") {
          this.i += 2;
          ignoreMissing = true;
        }
        if ((this.is("name", "with") || this.is("name", "without")) && this.look().value === "context") {
          withContext = this.next().value === "with";
          this.i++;
        }
        this.expect("block_end");
        return { type: "Include", template, ignoreMissing, withContext };
      }
      default:
        return this.fail(`unknown tag '${tag}'`);
    }
  }

  private ifStatement(): Node {
    const test = this.expression();
    this.expect("block_end");
    const body = this.subparse(["elif", "else", "endif"]);
    const tag = this.next().value;
    if (tag === "elif") return { type: "If", test, body, otherwise: [this.ifStatement()] };
    if (tag === "else") {
      this.expect("block_end");
      const otherwise = this.subparse(["endif"]);
      this.endTag("endif");
      return { type: "If", test, body, otherwise };
    }
    this.expect("block_end");
    return { type: "If", test, body, otherwise: [] };
  }

  private forStatement(): Node {
    const target = this.target(true);
    this.expect("name", "in");
    const iter = this.expression(false);
    const filter = this.skip("name", "if") ? this.expression() : undefined;
    const recursive = this.skip("name", "recursive");
    this.expect("block_end");
    const body = this.subparse(["endfor", "else"]);
    let otherwise: Node[] = [];
    if (this.next().value === "else") {
      this.expect("block_end");
      otherwise = this.subparse(["endfor"]);
      this.next();
    }
    this.expect("block_end");
    return { type: "For", target, iter, filter, body, otherwise, recursive };
  }

  private setStatement(): Node {
    const target = this.target(true, true);
    if (this.skip("op", "=")) {
      const value = this.tupleOrExpression();
      this.expect("block_end");
      return { type: "Assign", target, value };
    }
    const filters = this.skip("op", "|") ? this.filterChain() : [];
    this.expect("block_end");
    const body = this.subparse(["endset"]);
    this.endTag("endset");
    return { type: "AssignBlock", target, body, filters };
  }

  /** `name`, `a, b` (when tuples are allowed) or `ns.attr` (in `set`). */
  private target(tuples: boolean, nsRef = false): Target {
    const one = (): Target => {
      if (this.skip("op", "(")) {
        const inner = this.target(true);
        this.expect("op", ")");
        return inner;
      }
      const name = this.expect("name").value;
      if (nsRef && this.skip("op", ".")) return { type: "NSRef", name, attr: this.expect("name").value };
      return { type: "Name", name };
    };
    const first = one();
    if (!tuples || !this.is("op", ",")) return first;
    const items = [first];
    while (this.skip("op", ",")) {
      if (this.is("name", "in") || this.is("op", "=")) break;
      items.push(one());
    }
    return { type: "Tuple", items };
  }

  private params(): Param[] {
    const params: Param[] = [];
    this.expect("op", "(");
    while (!this.skip("op", ")")) {
      if (params.length) this.expect("op", ",");
      if (this.skip("op", ")")) break;
      const name = this.expect("name").value;
      params.push(this.skip("op", "=") ? { name, default: this.expression() } : { name });
    }
    return params;
  }

  /** Filters after `|` (or the first after `{% filter`): `a | b(1) | c`. */
  private filterChain(): Expr[] {
    const filters: Expr[] = [];
    do {
      const name = this.dottedName();
      filters.push({ type: "Filter", node: { type: "Const", value: undefined }, name, ...this.optionalArgs() });
    } while (this.skip("op", "|"));
    return filters;
  }

  private tupleOrExpression(): Expr {
    const first = this.expression();
    if (!this.is("op", ",")) return first;
    const items = [first];
    while (this.skip("op", ",")) {
      if (this.is("block_end")) break;
      items.push(this.expression());
    }
    return { type: "List", items };
  }

  /** An expression that is all there is (after `{{`, up to its `}}`). */
  wholeExpression(): Expr {
    const expr = this.expression();
    this.expect("var_end");
    this.expect("eof");
    return expr;
  }

  expression(withCondition = true): Expr {
    if (!withCondition) return this.or();
    let node = this.or();
    while (this.skip("name", "if")) {
      const test = this.or();
      const otherwise = this.skip("name", "else") ? this.expression() : undefined;
      node = { type: "CondExpr", test, then: node, otherwise };
    }
    return node;
  }

  private or(): Expr {
    let left = this.and();
    while (this.skip("name", "or")) left = { type: "Or", left, right: this.and() };
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.skip("name", "and")) left = { type: "And", left, right: this.not() };
    return left;
  }

  private not(): Expr {
    if (this.skip("name", "not")) return { type: "Not", node: this.not() };
    return this.compare();
  }

  private compare(): Expr {
    const first = this.math1();
    const ops: { op: string; expr: Expr }[] = [];
    while (true) {
      if (this.current.type === "op" && COMPARE.has(this.current.value)) ops.push({ op: this.next().value, expr: this.math1() });
      else if (this.skip("name", "in")) ops.push({ op: "in", expr: this.math1() });
      else if (this.is("name", "not") && this.look().type === "name" && this.look().value === "in") {
        this.i += 2;
        ops.push({ op: "notin", expr: this.math1() });
      } else break;
    }
    return ops.length ? { type: "Compare", first, ops } : first;
  }

  private math1(): Expr {
    let left = this.concat();
    while (this.is("op", "+") || this.is("op", "-")) left = { type: "BinOp", op: this.next().value, left, right: this.concat() };
    return left;
  }

  private concat(): Expr {
    const nodes = [this.math2()];
    while (this.skip("op", "~")) nodes.push(this.math2());
    return nodes.length === 1 ? nodes[0] : { type: "Concat", nodes };
  }

  private math2(): Expr {
    let left = this.pow();
    while (["*", "/", "//", "%"].some((op) => this.is("op", op))) left = { type: "BinOp", op: this.next().value, left, right: this.pow() };
    return left;
  }

  private pow(): Expr {
    let left = this.unary();
    while (this.skip("op", "**")) left = { type: "BinOp", op: "**", left, right: this.unary() };
    return left;
  }

  private unary(withFilter = true): Expr {
    let node: Expr;
    if (this.skip("op", "-")) node = { type: "Neg", node: this.unary(false) };
    else if (this.skip("op", "+")) node = { type: "Pos", node: this.unary(false) };
    else node = this.postfix(this.primary());
    return withFilter ? this.filterExpression(node) : node;
  }

  private primary(): Expr {
    const t = this.current;
    if (t.type === "name") {
      this.i++;
      if (Object.hasOwn(CONSTANTS, t.value)) return { type: "Const", value: CONSTANTS[t.value] };
      return { type: "Name", name: t.value };
    }
    if (t.type === "string") {
      let value = this.next().value;
      while (this.is("string")) value += this.next().value;
      return { type: "Const", value };
    }
    if (t.type === "integer") {
      this.i++;
      return { type: "Const", value: Number(t.value) };
    }
    if (t.type === "float") {
      this.i++;
      return { type: "Const", value: pyFloat(Number(t.value)) };
    }
    if (this.skip("op", "(")) {
      if (this.skip("op", ")")) return { type: "List", items: [], tuple: true };
      const first = this.expression();
      if (this.skip("op", ")")) return first;
      const items = [first];
      while (this.skip("op", ",")) {
        if (this.is("op", ")")) break;
        items.push(this.expression());
      }
      this.expect("op", ")");
      return { type: "List", items, tuple: true };
    }
    if (this.skip("op", "[")) {
      const items: Expr[] = [];
      while (!this.skip("op", "]")) {
        if (items.length) this.expect("op", ",");
        if (this.skip("op", "]")) break;
        items.push(this.expression());
      }
      return { type: "List", items };
    }
    if (this.skip("op", "{")) {
      const pairs: [Expr, Expr][] = [];
      while (!this.skip("op", "}")) {
        if (pairs.length) this.expect("op", ",");
        if (this.skip("op", "}")) break;
        const key = this.expression();
        this.expect("op", ":");
        pairs.push([key, this.expression()]);
      }
      return { type: "Dict", pairs };
    }
    return this.fail(t.type === "eof" || t.type === "var_end" || t.type === "block_end" ? "expected an expression" : `unexpected '${t.value}'`);
  }

  private postfix(node: Expr): Expr {
    while (true) {
      if (this.is("op", ".")) {
        this.i++;
        const t = this.next();
        if (t.type === "name") node = { type: "Getattr", node, attr: t.value };
        else if (t.type === "integer") node = { type: "Getitem", node, arg: { type: "Const", value: Number(t.value) } };
        else this.fail(`expected an attribute name after '.'`);
      } else if (this.skip("op", "[")) node = this.subscript(node);
      else if (this.is("op", "(")) node = { type: "Call", node, ...this.callArgs() };
      else return node;
    }
  }

  private subscript(node: Expr): Expr {
    const part = (): Expr | undefined => (this.is("op", ":") || this.is("op", "]") ? undefined : this.expression());
    const start = part();
    if (this.skip("op", "]")) return { type: "Getitem", node, arg: start! };
    this.expect("op", ":");
    const stop = part();
    const step = this.skip("op", ":") ? part() : undefined;
    this.expect("op", "]");
    return { type: "Slice", node, start, stop, step };
  }

  private callArgs(): Args {
    const out: Args = { args: [], kwargs: [] };
    this.expect("op", "(");
    let first = true;
    while (!this.skip("op", ")")) {
      if (!first) this.expect("op", ",");
      first = false;
      if (this.skip("op", ")")) break;
      if (this.skip("op", "**")) out.dynKwargs = this.expression();
      else if (this.skip("op", "*")) out.dynArgs = this.expression();
      else if (this.is("name") && this.look().type === "op" && this.look().value === "=") {
        const name = this.next().value;
        this.i++;
        out.kwargs.push([name, this.expression()]);
      } else out.args.push(this.expression());
    }
    return out;
  }

  private optionalArgs(): Args {
    return this.is("op", "(") ? this.callArgs() : { args: [], kwargs: [] };
  }

  private dottedName(): string {
    let name = this.expect("name").value;
    while (this.is("op", ".") && this.look().type === "name") {
      this.i++;
      name += `.${this.next().value}`;
    }
    return name;
  }

  private filterExpression(node: Expr): Expr {
    while (true) {
      if (this.skip("op", "|")) {
        const name = this.dottedName();
        node = { type: "Filter", node, name, ...this.optionalArgs() };
      } else if (this.skip("name", "is")) {
        const negated = this.skip("name", "not");
        const name = this.dottedName();
        let args: Args = { args: [], kwargs: [] };
        if (this.is("op", "(")) args = this.callArgs();
        else if (this.startsBareArgument()) args = { args: [this.postfix(this.primary())], kwargs: [] };
        node = { type: "Test", node, name, negated, ...args };
      } else if (this.is("op", "(")) node = { type: "Call", node, ...this.callArgs() };
      else return node;
    }
  }

  /** `x is divisibleby 3`: a test takes one argument without parentheses, unless what follows is a keyword. */
  private startsBareArgument(): boolean {
    const t = this.current;
    if (t.type === "name") return !["else", "or", "and", "if", "not", "in", "is"].includes(t.value);
    return t.type === "string" || t.type === "integer" || t.type === "float" || (t.type === "op" && ["[", "{"].includes(t.value));
  }
}

/**
 * Parse a whole template.
 *
 * @example
 * parseTemplate("{% if x %}a{% endif %}")[0].type // "If"
 */
export function parseTemplate(source: string, options?: LexOptions): Node[] {
  return new Parser(tokenize(source, options)).subparse([]);
}

/**
 * Parse a bare expression (a `when:` condition).
 *
 * @example
 * parseExpression("a and b").type // "And"
 */
export function parseExpression(source: string): Expr {
  return new Parser(tokenize(`{{ ${source} }}`).slice(1)).wholeExpression();
}
