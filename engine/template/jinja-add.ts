/**
 * Jinja2's `+`: lists concatenate (`common_packages + extra_packages`), as
 * every Ansible role expects; nunjucks compiles `+` to JavaScript's, which
 * would turn two lists into the string "a,b". Compiled templates call this
 * helper on the shared runtime instead.
 */
import nunjucks from "nunjucks";

/**
 * `a + b` as Jinja2 means it.
 *
 * @example
 * jinjaAdd(["a"], ["b"]) // ["a", "b"]
 * jinjaAdd(1, 2)         // 3
 */
export function jinjaAdd(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  return (a as number) + (b as number);
}

interface Compiler {
  compile(node: unknown, frame: unknown): void;
  _emit(code: string): void;
}
const internals = nunjucks as unknown as { runtime: Record<string, unknown>; compiler: { Compiler: { prototype: Record<string, unknown> } } };
internals.runtime.jinjaAdd = jinjaAdd;
internals.compiler.Compiler.prototype.compileAdd = function (this: Compiler, node: { left: unknown; right: unknown }, frame: unknown) {
  this._emit("runtime.jinjaAdd(");
  this.compile(node.left, frame);
  this._emit(", ");
  this.compile(node.right, frame);
  this._emit(")");
};
