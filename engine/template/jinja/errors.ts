/**
 * How a template fails: one error class, with the undefined name as data
 * when an undefined variable is the reason (check mode decides by it whether
 * a registered result not made yet is to blame).
 */

/**
 * A template that does not render: the message says where and why; when an
 * undefined variable stopped it, `undefinedName` names it.
 *
 * @example
 * ```ts
 * import { TemplateError } from "./errors.ts";
 * const e = new TemplateError("'x' is undefined in \"{{ x }}\"", { undefinedName: "x" });
 * if (e.undefinedName !== "x") throw new Error("example");
 * ```
 */
export class TemplateError extends Error {
  readonly undefinedName?: string;
  constructor(message: string, options: { undefinedName?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TemplateError";
    this.undefinedName = options.undefinedName;
  }
}

/**
 * A template that does not parse, with the line in the template.
 *
 * @example
 * ```ts
 * import { TemplateSyntaxError } from "./errors.ts";
 * const e = new TemplateSyntaxError("unexpected '}'", 3);
 * if (!e.message.includes("line 3")) throw new Error("example");
 * ```
 */
export class TemplateSyntaxError extends TemplateError {
  constructor(message: string, line: number) {
    super(`syntax error: ${message} (line ${line})`);
  }
}
