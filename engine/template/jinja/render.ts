/**
 * The interpreter: walks the tree of ast.ts against variables, as Jinja2's
 * runtime does under Ansible's settings — undefined names are errors unless
 * `is defined` or `default()` looks at them, `None` prints as nothing, loops
 * get `loop.index` and friends, macros and `caller()` work, `set` in a loop
 * stays in the loop. Variables are read when used, never copied, so a
 * lazily rendered variable costs nothing until a template reads it.
 *
 * Nothing here reaches JavaScript: a name resolves to a variable, a global
 * of the environment or nothing; a member resolves to a mapping's own data,
 * a list's item or a Python method (methods.ts). A JavaScript function found
 * in the data cannot be called.
 */
import type { Args, Expr, Node, Param, Target } from "./ast.ts";
import { TemplateError } from "./errors.ts";
import { getattr, getitem, iterate, pathOf, slice, visible } from "./members.ts";
import { printf } from "./format.ts";
import {
  binary,
  callable,
  compare,
  contains,
  defined,
  equals,
  isCallable,
  isMapping,
  isNumber,
  num,
  own,
  PyFloat,
  str,
  truthy,
  tuple,
  typeName,
  Undefined,
} from "./values.ts";

/**
 * Arguments of a filter, test or global, read by position or by keyword as Python binds them.
 *
 * @example
 * const width = arg(0, "width", 4);
 */
export interface ArgReader {
  (index: number, name: string, fallback?: unknown): unknown;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
}

/** What a filter, test or contextual global sees of the render. */
export interface RenderContext {
  env: Environment;
  /** The run's variables (the root of every name). */
  vars: Record<string, unknown>;
}

/**
 * A filter: `value | name(args)`.
 *
 * @example
 * const upper: Filter = (v) => String(v).toUpperCase();
 */
export type Filter = (value: unknown, arg: ArgReader, ctx: RenderContext) => unknown;
/**
 * A test: `value is name(args)`.
 *
 * @example
 * const even: Test = (v) => Number(v) % 2 === 0;
 */
export type Test = (value: unknown, arg: ArgReader, ctx: RenderContext) => boolean;

/** A global that needs the render's variables (`lookup`, `query`). */
const CONTEXTUAL = Symbol("contextual global");
/**
 * A global function called with the render's context.
 *
 * @example
 * const g = contextual((ctx, arg) => Object.keys(ctx.vars).length);
 */
export type Contextual = ((ctx: RenderContext, arg: ArgReader) => unknown) & { [CONTEXTUAL]: true };
/** Make a contextual global. */
export function contextual(f: (ctx: RenderContext, arg: ArgReader) => unknown): Contextual {
  return Object.assign(f, { [CONTEXTUAL]: true as const });
}

/**
 * The filters, tests and globals a render may use, and where `{% include %}` finds files (no loader: include is refused).
 *
 * @example
 * const env: Environment = { filters: {}, tests: {}, globals: {}, acceptsUndefined: new Set(["default"]) };
 */
export interface Environment {
  filters: Record<string, Filter>;
  tests: Record<string, Test>;
  globals: Record<string, unknown>;
  /** Filters that see an undefined value rather than fail on it (`default`, `mandatory`). */
  acceptsUndefined: Set<string>;
  /** Tests that see an undefined value (`defined`, `undefined`). */
  testsUndefined?: Set<string>;
  /** Templates for `{% include %}`, when the caller allows it. */
  load?(name: string, ctx: RenderContext): string | undefined;
  /** Parse an included template (render.ts does not import the parser). */
  parse?(source: string): Node[];
}

const NAMESPACES = new WeakSet<object>();
/**
 * `namespace(a=1)`: the one kind of value `{% set ns.a = … %}` may change from inside a loop.
 *
 * @example
 * const ns = namespace({ found: false });
 */
export function namespace(values: Record<string, unknown>): Record<string, unknown> {
  const ns = own({ ...values });
  NAMESPACES.add(ns);
  return ns;
}

/** A chain of frames: the innermost `set`, loop and macro variables first, then the run's. */
class Scope {
  private readonly own = new Map<string, unknown>();
  constructor(
    readonly ctx: RenderContext,
    private readonly parent?: Scope,
  ) {}
  child(): Scope {
    return new Scope(this.ctx, this);
  }
  set(name: string, value: unknown): void {
    this.own.set(name, value);
  }
  lookup(name: string): unknown {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.own.has(name)) return s.own.get(name);
    const vars = this.ctx.vars;
    if (visible(vars, name)) return vars[name];
    const globals = this.ctx.env.globals;
    if (Object.hasOwn(globals, name)) {
      const g = globals[name];
      if (typeof g === "function" && (g as Partial<Contextual>)[CONTEXTUAL])
        return callable((args, kwargs) => (g as Contextual)(this.ctx, reader(args, kwargs)));
      return g;
    }
    return new Undefined(name);
  }
}

/**
 * Read arguments the way Python binds them to parameters.
 *
 * @example
 * reader([1], { b: 2 })(1, "b") // 2
 */
export function reader(args: unknown[], kwargs: Record<string, unknown>): ArgReader {
  const read = (index: number, name: string, fallback?: unknown) => (Object.hasOwn(kwargs, name) ? kwargs[name] : index < args.length ? args[index] : fallback);
  return Object.assign(read, { args, kwargs });
}

/** Evaluates expressions and runs statements within one render. */
class Interpreter {
  /** The output of a native render: expression values are kept (boxed) rather than printed. */
  private nativeOut?: unknown[];
  constructor(private readonly ctx: RenderContext) {}

  args(a: Args, scope: Scope): { args: unknown[]; kwargs: Record<string, unknown> } {
    const args = a.args.map((e) => this.expr(e, scope));
    if (a.dynArgs) args.push(...iterate(this.expr(a.dynArgs, scope)));
    const kwargs: Record<string, unknown> = Object.create(null);
    for (const [k, e] of a.kwargs) kwargs[k] = this.expr(e, scope);
    if (a.dynKwargs) {
      const more = defined(this.expr(a.dynKwargs, scope));
      if (isMapping(more)) for (const k of Object.keys(more)) kwargs[k] = more[k];
    }
    return { args, kwargs };
  }

  filter(name: string, value: unknown, a: Args, scope: Scope): unknown {
    const f = Object.hasOwn(this.ctx.env.filters, name) ? this.ctx.env.filters[name] : undefined;
    if (!f) throw new TemplateError(`no filter named '${name}'`);
    // As Ansible's undefined markers: an undefined value passes through a filter untouched (for a later `default` to
    // catch), while an undefined argument is an error at once.
    const takesUndefined = this.ctx.env.acceptsUndefined.has(name);
    if (value instanceof Undefined && !takesUndefined) return value;
    const { args, kwargs } = this.args(a, scope);
    // `default` and `mandatory` use their arguments only when they need them; an undefined one fails only then.
    if (!takesUndefined) {
      args.forEach(defined);
      for (const k of Object.keys(kwargs)) defined(kwargs[k]);
    }
    return f(value, reader(args, kwargs), this.ctx);
  }

  test(name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown>): boolean {
    const t = Object.hasOwn(this.ctx.env.tests, name) ? this.ctx.env.tests[name] : undefined;
    if (!t) throw new TemplateError(`no test named '${name}'`);
    if (!this.ctx.env.testsUndefined?.has(name)) value = defined(value);
    args.forEach(defined);
    for (const k of Object.keys(kwargs)) defined(kwargs[k]);
    return t(value, reader(args, kwargs), this.ctx);
  }

  call(fn: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
    fn = defined(fn);
    if (!isCallable(fn)) throw new TemplateError(`'${typeName(fn)}' object is not callable`);
    return fn(args, kwargs);
  }

  expr(e: Expr, scope: Scope): unknown {
    switch (e.type) {
      case "Const":
        return e.value;
      case "Name":
        return scope.lookup(e.name);
      case "List": {
        const items = e.items.map((i) => this.expr(i, scope));
        return e.tuple ? tuple(items) : own(items);
      }
      case "Dict": {
        const out: Record<string, unknown> = own({});
        for (const [k, v] of e.pairs) out[str(defined(this.expr(k, scope)))] = this.expr(v, scope);
        return out;
      }
      case "Getattr":
        return getattr(this.expr(e.node, scope), e.attr, pathOf(e));
      case "Getitem":
        return getitem(this.expr(e.node, scope), this.expr(e.arg, scope), pathOf(e));
      case "Slice":
        return slice(this.expr(e.node, scope), e.start && this.expr(e.start, scope), e.stop && this.expr(e.stop, scope), e.step && this.expr(e.step, scope));
      case "Call": {
        const fn = this.expr(e.node, scope);
        const { args, kwargs } = this.args(e, scope);
        return this.call(fn, args, kwargs);
      }
      case "Filter":
        return this.filter(e.name, this.expr(e.node, scope), e, scope);
      case "Test": {
        const { args, kwargs } = this.args(e, scope);
        const result = this.test(e.name, this.expr(e.node, scope), args, kwargs);
        return e.negated ? !result : result;
      }
      case "BinOp":
        return binary(e.op, this.expr(e.left, scope), this.expr(e.right, scope), printf);
      case "Compare": {
        let left = this.expr(e.first, scope);
        for (const { op, expr } of e.ops) {
          const right = this.expr(expr, scope);
          if (!this.compareOne(op, left, right)) return false;
          left = right;
        }
        return true;
      }
      case "And": {
        const left = this.expr(e.left, scope);
        return truthy(left) ? this.expr(e.right, scope) : left;
      }
      case "Or": {
        const left = this.expr(e.left, scope);
        return truthy(left) ? left : this.expr(e.right, scope);
      }
      case "Not":
        return !truthy(this.expr(e.node, scope));
      case "Neg":
      case "Pos": {
        const v = defined(this.expr(e.node, scope));
        if (!isNumber(v)) throw new TemplateError(`bad operand type for unary ${e.type === "Neg" ? "-" : "+"}: '${typeName(v)}'`);
        if (e.type === "Pos") return v;
        return v instanceof PyFloat ? new PyFloat(-v.value) : -num(v);
      }
      case "Concat":
        return e.nodes.map((n) => str(this.expr(n, scope))).join("");
      case "CondExpr": {
        if (truthy(this.expr(e.test, scope))) return this.expr(e.then, scope);
        // Without `else`, Ansible prints nothing.
        return e.otherwise ? this.expr(e.otherwise, scope) : null;
      }
    }
  }

  private compareOne(op: string, a: unknown, b: unknown): boolean {
    switch (op) {
      case "==":
        return equals(a, b);
      case "!=":
        return !equals(a, b);
      case "in":
        return contains(b, a);
      case "notin":
        return !contains(b, a);
      case "<":
        return compare(a, b) < 0;
      case "<=":
        return compare(a, b) <= 0;
      case ">":
        return compare(a, b) > 0;
      default:
        return compare(a, b) >= 0;
    }
  }

  assign(target: Target, value: unknown, scope: Scope): void {
    if (target.type === "Name") {
      scope.set(target.name, value);
      return;
    }
    if (target.type === "NSRef") {
      const ns = scope.lookup(target.name);
      if (!ns || typeof ns !== "object" || !NAMESPACES.has(ns)) throw new TemplateError("cannot assign attribute on non-namespace object");
      (ns as Record<string, unknown>)[target.attr] = value;
      return;
    }
    const items = iterate(value);
    if (items.length !== target.items.length)
      throw new TemplateError(`${items.length > target.items.length ? "too many" : "not enough"} values to unpack (expected ${target.items.length})`);
    target.items.forEach((t, i) => this.assign(t, items[i], scope));
  }

  /** Ansible's native rendering: a template whose output is one value (no text around it) gives that value, with its type. */
  runNative(nodes: Node[], scope: Scope): unknown {
    const out: unknown[] = [];
    this.nativeOut = out;
    this.run(nodes, scope, out);
    // None parts drop out (`{{ x.append(1) }}{{ x }}` is the list), unless None is all there is.
    const parts = out.filter((p) => typeof p === "string" || (p as { value: unknown }).value !== null);
    if (parts.length === 0) return out.length ? null : "";
    if (parts.length === 1 && typeof parts[0] === "object") return (parts[0] as { value: unknown }).value;
    return parts.map((p) => (typeof p === "string" ? p : str((p as { value: unknown }).value))).join("");
  }

  run(nodes: Node[], scope: Scope, out: unknown[]): void {
    for (const n of nodes) this.node(n, scope, out);
  }

  capture(nodes: Node[], scope: Scope): string {
    const out: unknown[] = [];
    this.run(nodes, scope, out);
    return out.join("");
  }

  node(n: Node, scope: Scope, out: unknown[]): void {
    switch (n.type) {
      case "Output":
        for (const part of n.nodes) {
          if (part.type === "Data") out.push(part.text);
          else {
            const v = this.expr(part, scope);
            // Ansible prints None as nothing.
            if (out === this.nativeOut) out.push({ value: defined(v) });
            else if (v !== null) out.push(str(v));
          }
        }
        return;
      case "If":
        this.run(truthy(this.expr(n.test, scope)) ? n.body : n.otherwise, scope, out);
        return;
      case "For":
        this.forLoop(n, this.expr(n.iter, scope), scope, out, 0);
        return;
      case "Assign":
        this.assign(n.target, this.expr(n.value, scope), scope);
        return;
      case "AssignBlock": {
        let value: unknown = this.capture(n.body, scope.child());
        for (const f of n.filters) if (f.type === "Filter") value = this.filter(f.name, value, f, scope);
        this.assign(n.target, value, scope);
        return;
      }
      case "Macro":
        scope.set(n.name, this.macro(n.params, n.body, scope));
        return;
      case "CallBlock": {
        if (n.call.type !== "Call") return;
        const caller = this.macro(n.params, n.body, scope);
        const fn = this.expr(n.call.node, scope);
        const { args, kwargs } = this.args(n.call, scope);
        out.push(str(this.call(fn, args, { ...kwargs, caller })));
        return;
      }
      case "FilterBlock": {
        let value: unknown = this.capture(n.body, scope.child());
        for (const f of n.filters) if (f.type === "Filter") value = this.filter(f.name, value, f, scope);
        out.push(str(value));
        return;
      }
      case "With": {
        const inner = scope.child();
        for (const [t, e] of n.targets) this.assign(t, this.expr(e, scope), inner);
        this.run(n.body, inner, out);
        return;
      }
      case "Include": {
        const env = this.ctx.env;
        const name = defined(this.expr(n.template, scope));
        if (!env.load || !env.parse) throw new TemplateError("{% include %} is only available in template files (the template module and lookup)");
        const names = Array.isArray(name) ? name.map(str) : [str(name)];
        for (const candidate of names) {
          const source = env.load(candidate, this.ctx);
          if (source !== undefined) {
            this.run(env.parse(source), n.withContext ? scope.child() : new Scope(this.ctx), out);
            return;
          }
        }
        if (!n.ignoreMissing) throw new TemplateError(`template not found: ${names.join(", ")}`);
        return;
      }
    }
  }

  private forLoop(n: Extract<Node, { type: "For" }>, iterable: unknown, scope: Scope, out: unknown[], depth: number): void {
    let items = iterate(iterable);
    if (n.filter) {
      const test = n.filter;
      items = items.filter((item) => {
        const s = scope.child();
        this.assign(n.target, item, s);
        return truthy(this.expr(test, s));
      });
    }
    if (!items.length) {
      this.run(n.otherwise, scope, out);
      return;
    }
    const length = items.length;
    let lastSeen: unknown[] | undefined;
    items.forEach((item, i) => {
      const inner = scope.child();
      const loop: Record<string, unknown> = {
        index: i + 1,
        index0: i,
        revindex: length - i,
        revindex0: length - i - 1,
        first: i === 0,
        last: i === length - 1,
        length,
        depth: depth + 1,
        depth0: depth,
        previtem: i > 0 ? items[i - 1] : new Undefined("loop.previtem"),
        nextitem: i < length - 1 ? items[i + 1] : new Undefined("loop.nextitem"),
        cycle: callable((args) => args[i % args.length]),
        changed: callable((args) => {
          const changed = lastSeen === undefined || !equals(args, lastSeen);
          lastSeen = args;
          return changed;
        }),
      };
      inner.set(
        "loop",
        n.recursive
          ? Object.assign(
              callable((args) => this.capture([{ ...n, iter: { type: "Const", value: args[0] } }], scope)),
              loop,
            )
          : loop,
      );
      this.assign(n.target, item, inner);
      this.run(n.body, inner, out);
    });
  }

  macro(params: Param[], body: Node[], scope: Scope): unknown {
    return callable((args, kwargs) => {
      const inner = scope.child();
      params.forEach((p, i) => {
        const v = Object.hasOwn(kwargs, p.name) ? kwargs[p.name] : i < args.length ? args[i] : p.default ? this.expr(p.default, inner) : new Undefined(p.name);
        inner.set(p.name, v);
      });
      inner.set("varargs", own(args.slice(params.length)));
      const extra = own({} as Record<string, unknown>);
      for (const k of Object.keys(kwargs)) if (k !== "caller" && !params.some((p) => p.name === k)) extra[k] = kwargs[k];
      inner.set("kwargs", extra);
      if (kwargs.caller) inner.set("caller", kwargs.caller);
      return this.capture(body, inner);
    });
  }
}

/**
 * Render parsed nodes to text.
 *
 * @example
 * renderNodes(parseTemplate("{{ a }}!"), { env, vars: { a: 1 } }) // "1!"
 */
export function renderNodes(nodes: Node[], ctx: RenderContext): string {
  const interpreter = new Interpreter(ctx);
  return interpreter.capture(nodes, new Scope(ctx));
}

/**
 * Render parsed nodes natively: one value when the output is one expression's, else the text.
 *
 * @example
 * renderNative(parseTemplate("{% if a %}{{ [a] }}{% endif %}"), { env, vars: { a: 1 } }) // [1]
 */
export function renderNative(nodes: Node[], ctx: RenderContext): unknown {
  return new Interpreter(ctx).runNative(nodes, new Scope(ctx));
}

/**
 * Evaluate a parsed expression to its value (Undefined included: the caller decides).
 *
 * @example
 * evaluateExpr(parseExpression("a + 1"), { env, vars: { a: 1 } }) // 2
 */
export function evaluateExpr(expr: Expr, ctx: RenderContext): unknown {
  return new Interpreter(ctx).expr(expr, new Scope(ctx));
}

/**
 * Call a test by name (the `select`/`selectattr` filters use it).
 *
 * @example
 * runTest(ctx, "odd", 3, []) // true
 */
export function runTest(ctx: RenderContext, name: string, value: unknown, args: unknown[]): boolean {
  return new Interpreter(ctx).test(name, value, args, {});
}

/**
 * Call a filter by name on a value (the `map` filter uses it).
 *
 * @example
 * runFilter(ctx, "upper", "a", []) // "A"
 */
export function runFilter(ctx: RenderContext, name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown> = {}): unknown {
  const consts: Args = {
    args: args.map((v) => ({ type: "Const", value: v })),
    kwargs: Object.entries(kwargs).map(([k, v]) => [k, { type: "Const", value: v }]),
  };
  return new Interpreter(ctx).filter(name, value, consts, new Scope(ctx));
}
