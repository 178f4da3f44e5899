/**
 * Build step (after tsc): compile the engine's schemas and the built-in
 * modules' argument schemas to standalone validators, written as
 * `dist/engine/load/validators.cjs`, so that `hoist run` starts without loading
 * ajv's compiler. validate.ts falls back to ajv for any schema not here.
 *
 * @example
 * node dist/engine/load/precompile.js
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { AJV_OPTIONS, compiler, schemaKey } from "./validate.ts";
import { playSchema } from "./playbook.ts";
import { taskKeywordSchema } from "./tasks.ts";
import { roleEntrySchema } from "./roles.ts";
import { yamlInventorySchema } from "./inventory.ts";
import { BUILTIN_MODULES_DIR, MANIFEST, infoOf, loadModules } from "./registry.ts";

const require = createRequire(import.meta.url);
const standaloneCode = require("ajv/dist/standalone").default;

const registry = await loadModules();
const modules = await registry.loadAll();
// What the loader needs of each built-in module, so that runs import only the modules they use.
const files = new Map(registry.infos().map((i) => [i.name, i.file]));
writeFileSync(
  MANIFEST,
  `${JSON.stringify(
    modules.map((m) => ({ ...infoOf(m, relative(BUILTIN_MODULES_DIR, files.get(m.name)!)) })),
    null,
    1,
  )}\n`,
);
const schemas = [playSchema, taskKeywordSchema, roleEntrySchema, yamlInventorySchema, ...modules.map((m) => m.schema)];
const ajv = compiler({ ...AJV_OPTIONS, code: { source: true } });
const exports: Record<string, string> = {};
schemas.forEach((schema, i) => {
  ajv.addSchema(schema, `s${i}`);
  exports[`v${i}`] = `s${i}`;
});
const keys = schemas.map((schema, i) => `  ${JSON.stringify(schemaKey(schema))}: module.exports.v${i},`).join("\n");
const out = fileURLToPath(new URL("./validators.cjs", import.meta.url));
writeFileSync(out, `${standaloneCode(ajv, exports)}\nmodule.exports.byKey = {\n${keys}\n};\n`);
console.log(`precompiled ${schemas.length} schemas into ${out}`);
