/**
 * Templates cannot reach JavaScript: every known way from a nunjucks
 * expression to a constructor, a prototype or the control machine's process
 * is tried, in every position an expression can take (a value, a condition,
 * text around it). Each must render to nothing dangerous or fail as a
 * TemplateError, and the canary must stay untouched.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { render, renderText, condition } from "../../engine/template/template.ts";
import { scope, data } from "../../engine/template/vars.ts";
import { tally } from "./tally.ts";

const canary = globalThis as unknown as { __hoistPwned?: number };
const PAYLOAD = `"globalThis.__hoistPwned = 1; return 1"`;

/** Ways to name a function value and then reach its constructor. */
const ROOTS = [
  "range",
  "cycler",
  "joiner",
  "lipsum",
  "''.split",
  "[].map",
  "x.f",
  "(1).toFixed",
  "hostvars",
  "{}",
  "''",
  "[]",
  "x",
  "(x|list)",
  "(x.items|first)",
];
const TO_CTOR = [
  ".constructor",
  "['constructor']",
  "['con' ~ 'structor']",
  ".__proto__.constructor",
  "['__proto__']['constructor']",
  ".constructor.constructor",
  ".__lookupGetter__('__proto__').constructor",
  ".call.constructor",
  ".apply.constructor",
  ".bind.constructor",
];
const SHAPES = (e: string) => [`{{ ${e}(${PAYLOAD})() }}`, `x {{ ${e}(${PAYLOAD})() }} y`, `{% set f = ${e}(${PAYLOAD}) %}{{ f() }}`];
const BARE = [
  `{{ constructor.constructor(${PAYLOAD})() }}`,
  `{{ constructor.getOwnPropertyDescriptor(constructor.getPrototypeOf(range), 'constructor').value(${PAYLOAD})() }}`,
  `{{ __proto__.constructor.constructor(${PAYLOAD})() }}`,
  `{{ toString.constructor(${PAYLOAD})() }}`,
  `{{ hasOwnProperty.constructor(${PAYLOAD})() }}`,
  `{{ (x | map(attribute='constructor') | first)(${PAYLOAD})() }}`,
  `{{ (x | map(attribute='constructor.constructor') | first)(${PAYLOAD})() }}`,
  `{{ (x | map('constructor') | first) }}`,
  `{{ x | constructor }}`,
  `{{ x is constructor }}`,
  `{{ (x | selectattr('constructor') | first) }}`,
  `{% include "/etc/passwd" %}`,
  `{% import "/etc/passwd" as p %}`,
  `{% extends "/etc/passwd" %}`,
  `{{ process.getBuiltinModule('child_process').execSync('id') }}`,
  `{{ globalThis.process }}`,
  `{{ require('child_process') }}`,
];

test("no template reaches a constructor, a prototype or the process", () => {
  const cases = [...ROOTS.flatMap((r) => TO_CTOR.flatMap((c) => SHAPES(r + c))), ...BARE];
  const vars = scope({ x: { f: () => 1, items: [1] }, hostvars: Object.create(null) });
  let held = 0;
  const broke: string[] = [];
  for (const source of cases) {
    canary.__hoistPwned = undefined;
    let out: unknown;
    try {
      out = render(source, vars);
    } catch {
      out = undefined;
    }
    for (const run of [() => renderText(source, vars), () => condition(source.replace(/^\{\{|\}\}$/g, ""), vars)]) {
      try {
        run();
      } catch {
        // refused: that is a hold too
      }
    }
    const leaked = typeof out === "function" || String(out).includes("function") || String(out).includes("root:");
    if (canary.__hoistPwned === undefined && !leaked) held++;
    else broke.push(source);
  }
  tally("template escapes", cases.length, held);
  assert.deepEqual(broke, [], `escapes that worked: ${broke.join("\n")}`);
});

test("what hosts answer is never rendered: registered results, loop items, set facts", () => {
  const evil = `{{ range.constructor(${PAYLOAD})() }} {{ 7 * 7 }}`;
  canary.__hoistPwned = undefined;
  const v = scope({ a: "{{ x.stdout }}", b: "{{ x.stdout_lines | first }}" }, data({ x: { stdout: evil, stdout_lines: [evil] } }), data({ item: evil }));
  assert.equal(v.a, evil);
  assert.equal(v.b, evil);
  assert.equal(render("{{ item }}", v), evil);
  assert.equal(renderText("<{{ x.stdout }}>", v), `<${evil}>`);
  assert.equal(JSON.stringify(Object.values(v)).includes("49"), false);
  assert.equal(canary.__hoistPwned, undefined);
});

test("plain values keep their methods; authored templates still render", () => {
  const v = scope({ s: "a b", n: "{{ s.split(' ') | length }}", up: "{{ s.upper() if s.upper is defined else s | upper }}" });
  assert.equal(render("{{ s.split(' ') | join('-') }}", v), "a-b");
  assert.equal(v.n, 2);
  assert.equal(render("{{ s.startswith('a') }}", v), true);
  assert.equal(render("{{ ([3, 1] + [2]) | sort | join(',') }}", v), "1,2,3");
  assert.throws(() => render("{{ s.startsWith('a') }}", v), /has no attribute 'startsWith'/, "JavaScript's methods are not Python's");
});

test("self-referencing variables are an error naming the cycle", () => {
  const v = scope({ a: "{{ b }}", b: "{{ a }}", c: "x{{ c }}", ok: "{{ 1 }}" });
  assert.throws(() => v.a, /variables form a cycle: a -> b -> a/);
  assert.throws(() => render("{{ c }}", v), /variables form a cycle: c -> c/);
  assert.equal(v.ok, 1, "an unrelated variable still renders");
});
