import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import AjvModule from "ajv";
import { playSchema } from "../../engine/load/playbook.ts";
import { taskKeywordSchema } from "../../engine/load/tasks.ts";
import { yamlInventorySchema } from "../../engine/load/inventory.ts";
import { loadModules } from "../../engine/load/registry.ts";
import { InputError } from "../../engine/errors.ts";
import { compiler, isPrecompiled, validatorFor } from "../../engine/load/validate.ts";
import { allModules, tempDir } from "../helpers.ts";

type AjvClass = typeof AjvModule.default;
const Ajv: AjvClass = (AjvModule as unknown as { default?: AjvClass }).default ?? (AjvModule as unknown as AjvClass);

// hoist skips the meta-schema check of its own schemas at start-up; this is where they are checked.
test("every built-in schema is a valid JSON Schema", async () => {
  const ajv = new Ajv({ strict: false });
  const schemas: [string, Record<string, unknown>][] = [
    ["play", playSchema],
    ["task keywords", taskKeywordSchema],
    ["YAML inventory", yamlInventorySchema],
    ...(await allModules()).map((m): [string, Record<string, unknown>] => [`module ${m.name}`, m.schema]),
  ];
  assert.ok(schemas.length > 10);
  for (const [what, schema] of schemas) assert.ok(ajv.validateSchema(schema), `${what}: ${ajv.errorsText(ajv.errors)}`);
});

test("the build precompiles every built-in schema, and its validators judge as ajv's own do", async () => {
  const mods = await allModules();
  for (const m of mods) assert.ok(isPrecompiled(m.schema), `module ${m.name} is precompiled`);
  for (const s of [playSchema, taskKeywordSchema, yamlInventorySchema]) assert.ok(isPrecompiled(s));
  const file = mods.find((m) => m.name === "file")!;
  const fresh = compiler().compile(file.schema);
  const inputs = [{ path: "/x", mode: 644, stat: "directory" }, { pth: "/x" }, { path: "/x", state: "present" }, { path: "/x" }];
  for (const input of inputs) {
    const [a, b] = [structuredClone(input), structuredClone(input)];
    const precompiled = validatorFor(file.schema);
    assert.equal(precompiled(a), fresh(b));
    assert.deepEqual(a, b, "the same defaults were filled in");
    const shape = (errors: typeof fresh.errors) =>
      (errors ?? []).map((e) => [e.instancePath, e.keyword, e.params, (e.parentSchema as object | undefined) !== undefined]);
    assert.deepEqual(shape(precompiled.errors), shape(fresh.errors));
  }
});

test("a module from --modules with an invalid schema is refused, naming its file", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "mods"));
  writeFileSync(
    join(dir, "mods", "bad.mjs"),
    `export default { name: "bad", schema: { type: "object", properties: { x: { type: "strng" } } }, plan: async () => ({ changes: [], steps: [] }) };\n`,
  );
  try {
    await loadModules([join(dir, "mods")]);
    assert.fail("loaded");
  } catch (e) {
    assert.ok(e instanceof InputError);
    assert.match((e as InputError).message, /module schema is invalid/);
    assert.match(String((e as InputError).where?.file), /bad\.mjs$/);
  }
});
