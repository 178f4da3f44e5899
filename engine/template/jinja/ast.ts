/**
 * The tree a template parses to: expressions and statements, named as
 * Jinja2's own nodes are, so that a reader of `jinja2/nodes.py` finds them.
 */

/**
 * An expression.
 *
 * @example
 * const e: Expr = { type: "Name", name: "x" };
 */
export type Expr =
  | { type: "Const"; value: unknown }
  | { type: "Name"; name: string }
  | { type: "List"; items: Expr[]; tuple?: boolean }
  | { type: "Dict"; pairs: [Expr, Expr][] }
  | { type: "Getattr"; node: Expr; attr: string }
  | { type: "Getitem"; node: Expr; arg: Expr }
  | { type: "Slice"; node: Expr; start?: Expr; stop?: Expr; step?: Expr }
  | ({ type: "Call"; node: Expr } & Args)
  | ({ type: "Filter"; node: Expr; name: string } & Args)
  | ({ type: "Test"; node: Expr; name: string; negated: boolean } & Args)
  | { type: "BinOp"; op: string; left: Expr; right: Expr }
  | { type: "Compare"; first: Expr; ops: { op: string; expr: Expr }[] }
  | { type: "And" | "Or"; left: Expr; right: Expr }
  | { type: "Not" | "Neg" | "Pos"; node: Expr }
  | { type: "Concat"; nodes: Expr[] }
  | { type: "CondExpr"; test: Expr; then: Expr; otherwise?: Expr };

/**
 * The arguments of a call, a filter or a test.
 *
 * @example
 * const a: Args = { args: [], kwargs: [], dynArgs: undefined, dynKwargs: undefined };
 */
export interface Args {
  args: Expr[];
  kwargs: [string, Expr][];
  dynArgs?: Expr;
  dynKwargs?: Expr;
}

/**
 * A target of `for` or `set`: a name, a tuple of them, or a namespace's attribute.
 *
 * @example
 * const t: Target = { type: "Tuple", items: [{ type: "Name", name: "k" }, { type: "Name", name: "v" }] };
 */
export type Target = { type: "Name"; name: string } | { type: "Tuple"; items: Target[] } | { type: "NSRef"; name: string; attr: string };

/**
 * A macro's parameter, with its default.
 *
 * @example
 * const p: Param = { name: "width", default: { type: "Const", value: 4 } };
 */
export interface Param {
  name: string;
  default?: Expr;
}

/**
 * A statement, or text and output.
 *
 * @example
 * const n: Node = { type: "Output", nodes: [{ type: "Const", value: "hi" }] };
 */
export type Node =
  | { type: "Output"; nodes: (Expr | { type: "Data"; text: string })[] }
  | { type: "If"; test: Expr; body: Node[]; otherwise: Node[] }
  | { type: "For"; target: Target; iter: Expr; filter?: Expr; body: Node[]; otherwise: Node[]; recursive: boolean }
  | { type: "Assign"; target: Target; value: Expr }
  | { type: "AssignBlock"; target: Target; body: Node[]; filters: Expr[] }
  | { type: "Macro"; name: string; params: Param[]; body: Node[] }
  | { type: "CallBlock"; call: Expr; params: Param[]; body: Node[] }
  | { type: "FilterBlock"; filters: Expr[]; body: Node[] }
  | { type: "With"; targets: [Target, Expr][]; body: Node[] }
  | { type: "Include"; template: Expr; ignoreMissing: boolean; withContext: boolean };
