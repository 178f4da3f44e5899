/**
 * The environment every hoist template renders in: Jinja2's and Ansible's
 * filters and tests, and the globals Ansible offers (`range`, `dict`,
 * `namespace`, `lookup`/`query`/`q`, `now`, `undef`, `omit`, `cycler`,
 * `joiner`). Names may carry the `ansible.builtin.` prefix.
 */
import { ANSIBLE_FILTERS, dateParts } from "./ansible-filters.ts";
import { JINJA_FILTERS } from "./filters.ts";
import { namespace, type Environment } from "./render.ts";
import { TESTS } from "./tests.ts";
import { callable, num, own, str, Undefined } from "./values.ts";
import { TemplateError } from "./errors.ts";

/** Jinja2's sandbox bound: no template makes a list longer than this with `range`. */
const MAX_RANGE = 100_000;

function range(args: unknown[]): unknown[] {
  const [start, stop, step] = args.length === 1 ? [0, num(args[0]), 1] : [num(args[0]), num(args[1]), args[2] === undefined ? 1 : num(args[2])];
  if (step === 0) throw new TemplateError("range() arg 3 must not be zero");
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (out.length >= MAX_RANGE) throw new TemplateError(`range() is limited to ${MAX_RANGE} items`);
    out.push(i);
  }
  return own(out);
}

function cycler(items: unknown[]): Record<string, unknown> {
  let i = 0;
  const c: Record<string, unknown> = {
    next: callable(() => {
      const v = items[i % items.length];
      i++;
      c.current = items[i % items.length];
      return v;
    }),
    reset: callable(() => {
      i = 0;
      c.current = items[0];
      return null;
    }),
    current: items[0],
  };
  return c;
}

function joiner(sep: unknown): unknown {
  let used = false;
  return callable(() => {
    if (!used) {
      used = true;
      return "";
    }
    return str(sep);
  });
}

/** The `strftime`-able time `now()` gives: a mapping of its parts plus its ISO text. */
function now(utc: boolean): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  const { year, month, day, hour, minute, second } = dateParts(d, utc);
  return `${year}-${p(month + 1)}-${p(day)} ${p(hour)}:${p(minute)}:${p(second)}.${String(d.getMilliseconds() * 1000).padStart(6, "0")}`;
}

/**
 * A hoist environment: `globals` adds what the caller provides (`lookup`, `omit`).
 *
 * @example
 * const env = makeEnvironment({ omit: "__omit__" });
 */
export function makeEnvironment(globals: Record<string, unknown>): Environment {
  const filters = Object.assign(Object.create(null), JINJA_FILTERS, ANSIBLE_FILTERS);
  const tests = Object.assign(Object.create(null), TESTS);
  for (const table of [filters, tests]) for (const name of Object.keys(table)) table[`ansible.builtin.${name}`] = table[`ansible.legacy.${name}`] = table[name];
  return {
    filters,
    tests,
    acceptsUndefined: new Set(["default", "d", "mandatory", "ansible.builtin.mandatory", "ansible.builtin.default"]),
    testsUndefined: new Set(["defined", "undefined", "ansible.builtin.defined", "ansible.builtin.undefined"]),
    globals: Object.assign(Object.create(null), {
      range: callable(range),
      dict: callable((args, kwargs) => own({ ...((args[0] as object) ?? {}), ...kwargs })),
      namespace: callable((args, kwargs) => namespace({ ...((args[0] as object) ?? {}), ...kwargs })),
      cycler: callable((args) => cycler(args)),
      joiner: callable((args) => joiner(args[0] ?? ", ")),
      now: callable((args, kwargs) => now(!!(kwargs.utc ?? args[0]))),
      undef: callable((args, kwargs) => new Undefined("undef", str(kwargs.hint ?? args[0] ?? "Mandatory variable has not been overridden"))),
      ...globals,
    }),
  };
}
