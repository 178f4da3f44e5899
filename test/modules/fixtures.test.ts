/**
 * One runner for every module's planning fixtures: `test/modules/<module>/<case>.json`
 * holds the arguments, the fact values the module's reads find on the host,
 * and the plan expected. The probe here answers only from the fixture, so a
 * read the fixture does not record fails the test instead of silently
 * returning nothing. Facts have fixtures of their own (test/facts).
 *
 * Fixture shape:
 *   { "about": "...", "hostname": "node1", "args": {}, "check": false,
 *     "host": { "facts": [{ "fact": "SystemdUnit", "args": { "unit": "x.service" }, "value": { ... } or "throws": "message" }],
 *               "files": { "/etc/fstab": "text or null" }, "stats": { "/p": {"type": "file", ...} or null }, },
 *     "expect": { "changes": [], "steps": [], "reason": "", "fail": "", "invalid": "part of the error",
 *                 "projects": [what later check-mode reads would see, as JSON] } }
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Probe, Stat, Step } from "../../engine/module.ts";
import { factKey, type Fact, type RememberedFact } from "../../engine/fact.ts";
import { validateSchema } from "../../engine/load/validate.ts";
import { errorMessage } from "../../engine/errors.ts";
import { modules } from "../helpers.ts";
import { renderText } from "../../engine/template/template.ts";

const sourceDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "test", "modules");

interface Fixture {
  about: string;
  hostname?: string;
  args: Record<string, unknown>;
  check?: boolean;
  host?: {
    facts?: { fact: string; args: unknown; value?: unknown; throws?: string }[];
    files?: Record<string, string | null>;
    stats?: Record<string, Stat | null>;
  };
  /** Files on the control machine, by `<kind>/<path>` (kind: files or templates, as the module asks). */
  local?: Record<string, string>;
  /** Variables templates render with. */
  vars?: Record<string, unknown>;
  expect: {
    changes?: unknown[];
    steps?: unknown[];
    reason?: string;
    fail?: string;
    invalid?: string;
    throws?: string;
    projects?: unknown[];
    hostFacts?: Record<string, unknown>;
    vars?: Record<string, unknown>;
    unknown?: string;
    /** What the task registers besides changed/failed (`stat.exists`, a debug message). */
    result?: Record<string, unknown>;
  };
}

function fixtureProbe(fx: Fixture): Probe {
  const host = fx.host ?? {};
  const missing = (what: string) => new Error(`the fixture records no answer for ${what}`);
  const stat = (path: string) => {
    if (host.stats && path in host.stats) return host.stats[path];
    if (host.files && path in host.files)
      return host.files[path] === null ? null : { type: "file" as const, mode: "0644", owner: "root", group: "root", size: host.files[path]!.length };
    throw missing(`stat ${path}`);
  };
  return {
    host: fx.hostname ?? "fixture",
    check: !!fx.check,
    async fact<A, V>(fact: Fact<A, V>, args: A): Promise<V> {
      const found = (host.facts ?? []).find((f) => f.fact === fact.name && JSON.stringify(f.args) === JSON.stringify(args));
      if (!found) throw missing(`fact ${factKey(fact, args)}`);
      if (found.throws !== undefined) throw new Error(found.throws);
      return structuredClone(found.value) as V;
    },
    // A remembered fact's fixture holds its value: what the module gets, kept or freshly read.
    async remembered<A, V>(fact: RememberedFact<A, V>, args: A): Promise<V | null> {
      return (await this.fact(fact as unknown as Fact<A, V | null>, args)) ?? null;
    },
    async readFile(path) {
      if (host.files && path in host.files) return host.files[path];
      throw missing(`read ${path}`);
    },
    async stat(path) {
      return stat(path);
    },
    async statMany(paths) {
      return new Map(paths.map((p) => [p, stat(p)]));
    },
  };
}

/** The control machine as the fixture describes it: its files, and the templater over its variables. */
const contextOf = (fx: Fixture) => ({
  render: (t: string) => renderText(t, fx.vars ?? {}),
  playbookDir: sourceDir,
  async readLocal(path: string, kind = "files") {
    const text = fx.local?.[`${kind}/${path}`];
    if (text === undefined) throw new Error(`the fixture has no ${kind}/${path} on the control machine`);
    return Buffer.from(text);
  },
  async readVars(path: string) {
    const text = fx.local?.[`vars/${path}`];
    if (text === undefined) throw new Error(`the fixture has no vars/${path} on the control machine`);
    return { file: `vars/${path}`, vars: JSON.parse(text) };
  },
  vars: fx.vars ?? {},
  test: () => true,
});

const registry = await modules();
const builtins = await registry.loadAll();
const dirs = readdirSync(sourceDir).filter((d) => existsSync(join(sourceDir, d)) && !d.includes("."));
let count = 0;
for (const dir of dirs) {
  const info = registry.get(dir);
  const module = info && registry.require(info.name);
  for (const file of readdirSync(join(sourceDir, dir))
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    count++;
    const fx = JSON.parse(readFileSync(join(sourceDir, dir, file), "utf8")) as Fixture;
    test(`${dir}/${file}: ${fx.about}`, async () => {
      assert.ok(module, `no module named ${dir}`);
      const args = structuredClone(fx.args);
      if (fx.expect.invalid !== undefined) {
        assert.throws(
          () => validateSchema(module!.schema, args, { what: `module '${dir}'` }),
          (e: unknown) => errorMessage(e).includes(fx.expect.invalid!),
        );
        return;
      }
      validateSchema(module!.schema, args, { what: `module '${dir}'` });
      let plan: Awaited<ReturnType<NonNullable<typeof module>["plan"]>>;
      try {
        plan = await module!.plan(args, fixtureProbe(fx), contextOf(fx));
      } catch (e) {
        if (fx.expect.throws !== undefined) return assert.ok(String(errorMessage(e)).includes(fx.expect.throws));
        throw e;
      }
      assert.equal(fx.expect.throws, undefined, "the plan was expected to throw");
      if (fx.expect.fail !== undefined) assert.equal(plan.fail, fx.expect.fail);
      else assert.equal(plan.fail, undefined, `unexpected failure: ${plan.fail}`);
      if (fx.expect.changes !== undefined) assert.deepEqual(plan.changes, fx.expect.changes);
      if (fx.expect.steps !== undefined)
        assert.deepEqual(
          plan.steps.map((s: Step) => JSON.parse(JSON.stringify(s))),
          fx.expect.steps,
        );
      if (fx.expect.reason !== undefined) assert.equal(plan.reason, fx.expect.reason);
      if (fx.expect.projects !== undefined) assert.deepEqual(JSON.parse(JSON.stringify(plan.projects ?? [])), fx.expect.projects);
      if (fx.expect.hostFacts !== undefined) assert.deepEqual(plan.hostFacts, fx.expect.hostFacts);
      if (fx.expect.vars !== undefined) assert.deepEqual(plan.vars, fx.expect.vars);
      if (fx.expect.result !== undefined) assert.deepEqual(plan.result, fx.expect.result);
      assert.equal(plan.unknown, fx.expect.unknown, "check mode says unknown exactly when the fixture does");
    });
  }
}

test("every built-in module has planning fixtures", () => {
  // The registry as tests load it holds the built-in modules only.
  const without = builtins.map((m) => m.name).filter((n) => !dirs.includes(n));
  assert.deepEqual(without, []);
  assert.ok(count > 0);
});
