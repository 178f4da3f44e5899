/**
 * Every fact against its own fixtures, `test/facts/<Name>/<case>.json`: the
 * command its arguments give is the one recorded, and parsing the recorded
 * output gives the recorded value. Every fact in facts/ has fixtures.
 *
 * Fixture shape:
 *   { "about": "...", "args": {}, "command": ["argv", "..."], "stdin": "what it reads, if anything", "output": { "code": 0, "stdout": "", "stderr": "" }, "value": ... }
 * or, for an answer that means the read failed, `"throws": "the message"` instead of `value`.
 * Record one from a lab host with `node dist/test/facts/record-fact.js` (see there).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Fact } from "../../engine/fact.ts";

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, "..", "..", "..", "test", "facts");
const factsDir = join(here, "..", "..", "facts");

const facts = new Map<string, Fact>();
for (const file of readdirSync(factsDir).filter((f) => /\.[jt]s$/.test(f) && !f.endsWith(".d.ts"))) {
  for (const value of Object.values(await import(pathToFileURL(join(factsDir, file)).href))) {
    const fact = value as Fact;
    if (fact && typeof fact.parse === "function" && typeof fact.command === "function") facts.set(fact.name, fact);
  }
}

for (const [name, fact] of facts) {
  const dir = join(fixtures, name);
  for (const file of existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
    : []) {
    const fx = JSON.parse(readFileSync(join(dir, file), "utf8"));
    test(`${name}/${file}: ${fx.about}`, () => {
      assert.deepEqual(fact.command(fx.args), fx.command);
      assert.equal(fact.stdin?.(fx.args), fx.stdin);
      if (fx.throws !== undefined)
        return assert.throws(
          () => fact.parse(fx.output, fx.args),
          (e: Error) => e.message === fx.throws,
        );
      assert.deepEqual(JSON.parse(JSON.stringify(fact.parse(fx.output, fx.args))), fx.value);
    });
  }
}

test("every fact has fixtures, and every fixture directory names a fact", () => {
  const dirs = readdirSync(fixtures).filter((d) => !d.includes("."));
  assert.deepEqual(
    [...facts.keys()].filter((n) => !dirs.includes(n)),
    [],
  );
  assert.deepEqual(
    dirs.filter((d) => !facts.has(d)),
    [],
  );
});
