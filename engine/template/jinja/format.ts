/**
 * Python's two string formatters, which roles use inside templates: printf
 * style (`'%s-%05d' % (a, n)`, the `format` filter) and `str.format`
 * (`'{}:{}'.format(host, port)`, `'{:>8}'.format(x)`), with the flags,
 * widths, precisions and conversions Python documents for both.
 */
import { TemplateError } from "./errors.ts";
import { floatRepr, isFloat, isMapping, isTuple, num, PyFloat, repr, str } from "./values.ts";

/** One conversion's flags, width and precision. */
interface Spec {
  fill: string;
  align: string;
  sign: string;
  alt: boolean;
  zero: boolean;
  width: number;
  comma: string;
  precision?: number;
  type: string;
}

function pad(text: string, spec: Spec, numeric: boolean): string {
  if (text.length >= spec.width) return text;
  const align = spec.align || (numeric ? ">" : "<");
  if (spec.zero && numeric && !spec.align) {
    const sign = /^[+\- ]/.test(text) ? text[0] : "";
    const prefix = /^[+\- ]?0[xXob]/.test(text) && spec.alt ? text.slice(sign.length, sign.length + 2) : "";
    const body = text.slice(sign.length + prefix.length);
    return sign + prefix + body.padStart(spec.width - sign.length - prefix.length, "0");
  }
  const fill = spec.fill || " ";
  const missing = spec.width - text.length;
  if (align === "<") return text + fill.repeat(missing);
  if (align === ">") return fill.repeat(missing) + text;
  if (align === "=") {
    const sign = /^[+\- ]/.test(text) ? text[0] : "";
    return sign + fill.repeat(missing) + text.slice(sign.length);
  }
  const left = Math.floor(missing / 2);
  return fill.repeat(left) + text + fill.repeat(missing - left);
}

function groupThousands(digits: string, sep: string): string {
  if (!sep) return digits;
  const [whole, fraction] = digits.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** Python's `%e`: at least two exponent digits. */
const exponential = (n: number, precision: number): string => n.toExponential(precision).replace(/e([+-])(\d)$/, "e$10$2");

function general(n: number, precision: number, alt: boolean): string {
  const p = precision === 0 ? 1 : precision;
  if (n === 0) return alt ? `0.${"0".repeat(p - 1)}` : "0";
  const exp = Math.floor(Math.log10(Math.abs(Number(n.toPrecision(p)))));
  let out = exp < -4 || exp >= p ? exponential(n, p - 1) : n.toFixed(Math.max(0, p - 1 - exp));
  if (!alt) out = out.replace(/\.?0+(?=e|$)/, (m) => (m.startsWith(".") || out.includes(".") ? "" : m));
  return out;
}

/** One value formatted by a spec's type (shared by both styles). */
function convert(value: unknown, spec: Spec): string {
  const type = spec.type;
  if (type === "s" || type === "") {
    if (type === "" && (typeof value === "number" || value instanceof PyFloat) && (spec.precision !== undefined || spec.comma))
      return convert(value, { ...spec, type: isFloat(value) ? "g" : "d" });
    let text = str(value);
    if (spec.precision !== undefined) text = text.slice(0, spec.precision);
    return pad(text, spec, type === "" && typeof value !== "string" && (typeof value === "number" || value instanceof PyFloat));
  }
  if (type === "r") return pad(repr(value), spec, false);
  if (type === "c") return pad(typeof value === "string" ? value : String.fromCodePoint(num(value)), spec, false);
  if (typeof value !== "number" && typeof value !== "boolean" && !(value instanceof PyFloat))
    throw new TemplateError(`%${type} format: a real number is required, not ${typeof value === "string" ? "str" : "a value"}`);
  const n = num(value);
  const sign = n < 0 || Object.is(n, -0) ? "-" : spec.sign === "+" ? "+" : spec.sign === " " ? " " : "";
  const abs = Math.abs(n);
  let body: string;
  switch (type) {
    case "d":
    case "i":
    case "u":
      body = groupThousands(String(Math.trunc(abs)), spec.comma);
      break;
    case "x":
    case "X":
      body = (spec.alt ? "0x" : "") + Math.trunc(abs).toString(16);
      if (type === "X") body = body.toUpperCase();
      break;
    case "o":
      body = (spec.alt ? "0o" : "") + Math.trunc(abs).toString(8);
      break;
    case "b":
      body = (spec.alt ? "0b" : "") + Math.trunc(abs).toString(2);
      break;
    case "f":
    case "F":
      body = groupThousands(abs.toFixed(spec.precision ?? 6), spec.comma);
      break;
    case "e":
    case "E":
      body = exponential(abs, spec.precision ?? 6);
      if (type === "E") body = body.toUpperCase();
      break;
    case "g":
    case "G":
      body = general(abs, spec.precision ?? 6, spec.alt);
      if (type === "G") body = body.toUpperCase();
      break;
    case "%":
      body = `${(abs * 100).toFixed(spec.precision ?? 6)}%`;
      break;
    case "n":
      body = spec.precision === undefined && !isFloat(value) ? String(abs) : floatRepr(abs);
      break;
    default:
      throw new TemplateError(`unsupported format character '${type}'`);
  }
  return pad(sign + body, spec, true);
}

const PRINTF = /%(?:\(([^)]*)\))?([#0\- +]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

/**
 * `format % args` as Python's printf-style formatting does it.
 *
 * @example
 * printf("%s-%03d", ["a", 7]) // "a-007"
 * printf("%(x)s", { x: 1 })   // "1"
 */
export function printf(format: string, args: unknown): string {
  const list = isTuple(args) ? [...(args as unknown[])] : [args];
  const byName = isMapping(args) ? args : undefined;
  let used = 0;
  const take = () => {
    if (used >= list.length) throw new TemplateError("not enough arguments for format string");
    return list[used++];
  };
  const out = format.replace(PRINTF, (_m, name: string | undefined, flags: string, width: string | undefined, precision: string | undefined, type: string) => {
    if (type === "%") return "%";
    const spec: Spec = {
      fill: " ",
      align: flags.includes("-") ? "<" : flags.includes("0") ? "" : ">",
      sign: flags.includes("+") ? "+" : flags.includes(" ") ? " " : "",
      alt: flags.includes("#"),
      zero: flags.includes("0") && !flags.includes("-"),
      width: width === "*" ? num(take()) : Number(width ?? 0),
      comma: "",
      precision: precision === undefined ? undefined : precision === "*" ? num(take()) : Number(precision),
      type: type === "a" ? "r" : type,
    };
    const value = name !== undefined ? byName?.[name] : take();
    if (spec.type === "r" || spec.type === "s" || spec.type === "c") spec.zero = false;
    if (spec.type === "i" || spec.type === "u") spec.type = "d";
    return convert(value, spec);
  });
  if (!byName && used < list.length) throw new TemplateError("not all arguments converted during string formatting");
  return out;
}

const FORMAT_SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$/;

function formatSpec(value: unknown, text: string): string {
  const m = FORMAT_SPEC.exec(text);
  if (!m) throw new TemplateError(`invalid format specifier '${text}'`);
  const spec: Spec = {
    fill: m[1] ?? "",
    align: m[2] ?? "",
    sign: m[3] ?? "",
    alt: !!m[4],
    zero: !!m[5],
    width: Number(m[6] ?? 0),
    comma: m[7] ?? "",
    precision: m[8] === undefined ? undefined : Number(m[8]),
    type: m[9] ?? "",
  };
  if (spec.zero && !spec.fill) spec.fill = "0";
  if (spec.type === "" && isFloat(value) && spec.precision === undefined) return pad(str(value), spec, true);
  return convert(value, spec);
}

/**
 * Python's `str.format`: `{}`, `{0}`, `{name}`, `{0.attr}`, `{x[key]}`, `!r`/`!s`, and format specs.
 *
 * @example
 * strFormat("{}:{:>4}", ["a", 7], {}) // "a:   7"
 */
export function strFormat(format: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  return format.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, field: string | undefined) => {
    if (whole === "{{") return "{";
    if (whole === "}}") return "}";
    const m = /^([^.[!:]*)((?:\.[^.[!:]+|\[[^\]]*\])*)(?:!([rsa]))?(?::(.*))?$/.exec(field ?? "");
    if (!m) throw new TemplateError(`invalid format field '{${field}}'`);
    const [, key, path, conversion, spec] = m;
    let value: unknown = key === "" ? args[auto++] : /^\d+$/.test(key) ? args[Number(key)] : kwargs[key];
    for (const part of path.match(/\.[^.[]+|\[[^\]]*\]/g) ?? []) {
      const name = part.startsWith(".") ? part.slice(1) : part.slice(1, -1);
      value = Array.isArray(value) && /^\d+$/.test(name) ? value[Number(name)] : (value as Record<string, unknown>)?.[name];
    }
    if (value === undefined) throw new TemplateError(`format field '{${field}}' has no value`);
    if (conversion) value = conversion === "s" ? str(value) : repr(value);
    return formatSpec(value, spec ?? "");
  });
}
