/**
 * The source tree as contributors meet it: every exported symbol has a doc
 * comment, and no import cycle exists in engine/, type-only imports
 * included (dependency-cruiser, in the hygiene checks, sees only runtime
 * imports of the compiled tree).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { findCycle } from "../../engine/graph/graph.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const f of readdirSync(join(root, dir)).sort()) {
    const p = join(dir, f);
    if (statSync(join(root, p)).isDirectory()) out.push(...sources(p));
    else if (p.endsWith(".ts") && !p.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

test("every exported symbol of the product has a doc comment", () => {
  const missing: string[] = [];
  let exports = 0;
  for (const file of ["engine", "modules", "facts", "lab", "bench"].flatMap(sources)) {
    const text = readFileSync(join(root, file), "utf8");
    for (const m of text.matchAll(/^export (?:default )?(?:async )?(?:interface|function|type|const|class|let|enum) (\w+)/gm)) {
      exports++;
      if (!/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*$/.test(text.slice(0, m.index))) missing.push(`${file}: ${m[1]}`);
    }
  }
  console.log(`documented exports: ${exports - missing.length} of ${exports}`);
  assert.ok(exports > 300, `${exports} exports found: the scan reads the tree`);
  assert.deepEqual(missing, []);
});

test("no import cycle in engine/, type-only imports included", () => {
  const files = sources("engine");
  const imports = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    const targets = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom "(\.[^"]+)"/gms)].map((m) => normalize(join(dirname(file), m[1])));
    imports.set(
      file,
      targets.filter((t) => imports.has(t) || files.includes(t)),
    );
  }
  const cycle = findCycle(files, (f) => imports.get(f) ?? []);
  assert.equal(cycle?.map((f) => relative("engine", f)).join(" → "), undefined);
});
