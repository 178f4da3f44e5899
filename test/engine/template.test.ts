import { test } from "node:test";
import assert from "node:assert/strict";
import { render, condition, renderDeep, TemplateError } from "../../engine/template/template.ts";
import { scope } from "../../engine/template/vars.ts";

test("a single expression keeps its type", () => {
  assert.deepEqual(render("{{ groups.web }}", { groups: { web: ["a", "b"] } }), ["a", "b"]);
  assert.equal(render("{{ n + 1 }}", { n: 1 }), 2);
  assert.equal(render("x{{ n }}", { n: 1 }), "x1");
});

test("filters real playbooks use", () => {
  const v = {
    hosts: [
      { name: "a", ip: "10.0.0.1" },
      { name: "b", ip: "10.0.0.2" },
    ],
    s: "a-b",
  };
  assert.equal(render("{{ hosts | map(attribute='ip') | join(',') }}", v), "10.0.0.1,10.0.0.2");
  assert.equal(render("{{ missing | default('x') }}", v), "x");
  assert.equal(render("{{ hosts | first | to_json }}", v), '{"name": "a", "ip": "10.0.0.1"}', "Python's json.dumps separators, as Ansible's to_json");
  assert.equal(render("{{ 'hi' | b64encode | b64decode }}", v), "hi");
  assert.equal(render("{{ s | regex_replace('-', '_') }}", v), "a_b");
  assert.deepEqual(render("{{ hosts | selectattr('name', 'equalto', 'b') | map(attribute='ip') | list }}", v), ["10.0.0.2"]);
  assert.deepEqual(render("{{ [1, 2, 3] | select('odd') | list }}", v), [1, 3]);
  assert.equal(render("{{ {'a': 1} | to_yaml }}", v), "{a: 1}\n", "PyYAML's dump ends with a newline, and Ansible keeps it");
});

test("undefined variables are errors naming the variable", () => {
  assert.throws(
    () => render("{{ nope }}", {}),
    (e: Error) => e instanceof TemplateError && /'nope' is undefined/.test(e.message),
  );
  assert.throws(() => render("x {{ a.b }}", { a: {} }), /'a\.b' is undefined/);
  assert.throws(() => condition("nope == 1", {}), /'nope' is undefined/);
});

test("conditions: lists, defined tests, result tests", () => {
  assert.ok(condition(["a == 1", "b is defined"], { a: 1, b: 0 }));
  assert.ok(!condition("c is defined", {}));
  assert.ok(condition("r is changed", { r: { changed: true } }));
  assert.ok(condition("r is succeeded", { r: { failed: false } }));
  assert.ok(condition(true, {}));
  assert.ok(!condition("'x' in items", { items: ["y"] }));
});

test("renderDeep renders nested structures", () => {
  assert.deepEqual(renderDeep({ a: ["{{ x }}", { b: "{{ x }}!" }] }, { x: 1 }), { a: [1, { b: "1!" }] });
});

test("an argument rendered to omit is left out, as in Ansible", () => {
  const args = { name: "x", channel: "{{ ch | default(omit) }}", classic: "{{ omit if file else true }}" };
  assert.deepEqual(renderDeep(args, { file: true }), { name: "x" });
  assert.deepEqual(renderDeep(args, { ch: "1.30/stable", file: false }), { name: "x", channel: "1.30/stable", classic: true });
});

test("lazy variables render when read, in any order", () => {
  const v = scope({ url: "http://{{ host }}:{{ port }}" }, { host: "a", port: 80 });
  assert.equal(v.url, "http://a:80");
  assert.equal(render("{{ url }}/x", v), "http://a:80/x");
});

test("Jinja2 semantics roles rely on: list + list, and no newline after a block tag (trim_blocks, as Ansible)", () => {
  assert.deepEqual(render("{{ a + b }}", { a: ["conntrack"], b: ["socat"] }), ["conntrack", "socat"]);
  assert.equal(render("{{ 1 + 2 }}", {}), 3);
  assert.equal(render("{{ 'a' ~ 1 }}", {}), "a1");
  assert.equal(render("{% for h in hosts %}\n{{ h }}\n{% endfor %}\n", { hosts: ["n1", "n2"] }), "n1\nn2\n");
});
